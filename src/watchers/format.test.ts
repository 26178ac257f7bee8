import { describe, expect, it } from 'vitest';
import { parseKubeJson } from '../kube/json.js';
import type { KubeEvent } from '../kube/types.js';
import {
  formatEvents,
  formatImageFailureNotification,
  formatImageFailures,
  formatInitContainerFailures,
  formatPendingTimeout,
  goSecondsDuration,
  goTime,
  humanDuration,
  roundedTable,
  wrapSoft,
} from './format.js';

/** A table line from hand-measured cells: [text, column width, right-aligned?]. */
function line(...cells: readonly (readonly [string, number, boolean?])[]): string {
  return `│${cells.map(([text, width, right]) => ` ${right === true ? text.padStart(width) : text.padEnd(width)} `).join('│')}│`;
}
function rule(left: string, middle: string, right: string, ...widths: number[]): string {
  return left + widths.map((w) => '─'.repeat(w + 2)).join(middle) + right;
}

describe('formatImageFailureNotification (upstream cases)', () => {
  it('puts the message in parentheses', () => {
    expect(
      formatImageFailureNotification([
        {
          name: 'container-0',
          image: 'nope:latest',
          reason: 'ImagePullBackOff',
          message: 'Back-off pulling image "nope:latest"',
        },
      ]),
    ).toBe(
      'Image pull failure; the job will fail once the agent times out. container-0: ImagePullBackOff (Back-off pulling image "nope:latest")',
    );
  });

  it('omits an empty message', () => {
    expect(
      formatImageFailureNotification([
        { name: 'container-0', image: 'x', reason: 'ErrImageNeverPull', message: '' },
      ]),
    ).toBe('Image pull failure; the job will fail once the agent times out. container-0: ErrImageNeverPull');
  });

  it('sorts by container name and joins with "; "', () => {
    expect(
      formatImageFailureNotification([
        { name: 'container-1', image: 'b', reason: 'ErrImagePull', message: 'pull failed' },
        { name: 'container-0', image: 'a', reason: 'ImagePullBackOff', message: 'backing off' },
      ]),
    ).toBe(
      'Image pull failure; the job will fail once the agent times out. container-0: ImagePullBackOff (backing off); container-1: ErrImagePull (pull failed)',
    );
  });
});

describe('roundedTable', () => {
  it('right-aligns all-numeric columns, header included', () => {
    expect(
      roundedTable(
        [{ header: 'NAME' }, { header: 'CODE' }],
        [
          ['a', 1],
          ['bb', 127],
        ],
      ),
    ).toBe(
      [
        rule('╭', '┬', '╮', 4, 4),
        line(['NAME', 4], ['CODE', 4, true]),
        rule('├', '┼', '┤', 4, 4),
        line(['a', 4], ['1', 4, true]),
        line(['bb', 4], ['127', 4, true]),
        rule('╰', '┴', '╯', 4, 4),
      ].join('\n'),
    );
  });

  it('renders multi-line cells line by line, tabs as four spaces', () => {
    expect(roundedTable([{ header: 'A' }, { header: 'B' }], [['x\ty', 'one\ntwo']])).toBe(
      [
        rule('╭', '┬', '╮', 6, 3),
        line(['A', 6], ['B', 3]),
        rule('├', '┼', '┤', 6, 3),
        line(['x    y', 6], ['one', 3]),
        line(['', 6], ['two', 3]),
        rule('╰', '┴', '╯', 6, 3),
      ].join('\n'),
    );
  });
});

describe('wrapSoft (go-pretty text.WrapSoft)', () => {
  it('keeps short text as is, newlines included', () => {
    expect(wrapSoft('short\ntext', 50)).toBe('short\ntext');
  });
  it('moves words to the next line and pads full lines', () => {
    expect(wrapSoft('ab cd ef', 5)).toBe('ab cd\nef');
    expect(wrapSoft('aaa bbb', 5)).toBe('aaa  \nbbb');
  });
  it('breaks words longer than a line', () => {
    expect(wrapSoft('a'.repeat(12), 5)).toBe('aaaaa\naaaaa\naa');
  });
  it('keeps paragraphs apart', () => {
    expect(wrapSoft('aaa bbb\n\nccc', 5)).toBe('aaa  \nbbb\n\nccc');
  });
});

describe('durations and times', () => {
  it('humanDuration matches Kubernetes', () => {
    const s = 1000;
    expect(humanDuration(-3 * s)).toBe('<invalid>');
    expect(humanDuration(-1 * s)).toBe('0s');
    expect(humanDuration(45 * s)).toBe('45s');
    expect(humanDuration(119 * s)).toBe('119s');
    expect(humanDuration(150 * s)).toBe('2m30s');
    expect(humanDuration(5 * 60 * s)).toBe('5m');
    expect(humanDuration(42 * 60 * s)).toBe('42m');
    expect(humanDuration(3.5 * 3600 * s)).toBe('3h30m');
    expect(humanDuration(4 * 3600 * s)).toBe('4h');
    expect(humanDuration(20 * 3600 * s)).toBe('20h');
    expect(humanDuration(50 * 3600 * s)).toBe('2d2h');
    expect(humanDuration(30 * 24 * 3600 * s)).toBe('30d');
    expect(humanDuration(3 * 365 * 24 * 3600 * s)).toBe('3y');
    expect(humanDuration((3 * 365 + 10) * 24 * 3600 * s)).toBe('3y10d');
  });

  it('goSecondsDuration matches Go Duration.Round(time.Second).String()', () => {
    expect(goSecondsDuration(0)).toBe('0s');
    expect(goSecondsDuration(499)).toBe('0s');
    expect(goSecondsDuration(500)).toBe('1s');
    expect(goSecondsDuration(45_000)).toBe('45s');
    expect(goSecondsDuration(900_000)).toBe('15m0s');
    expect(goSecondsDuration(3_605_000)).toBe('1h0m5s');
  });

  it('goTime prints like Go time.Time.String() in UTC', () => {
    expect(goTime(new Date('2024-05-01T10:00:00Z'))).toBe('2024-05-01 10:00:00 +0000 UTC');
    expect(goTime('2024-05-01T10:00:00.123400Z')).toBe('2024-05-01 10:00:00.1234 +0000 UTC');
    expect(goTime(undefined)).toBe('0001-01-01 00:00:00 +0000 UTC');
  });
});

describe('formatEvents', () => {
  it('says "Events: none" for no events', () => {
    expect(formatEvents([])).toBe('Events: none');
  });

  it('renders old-style and series events with the message wrapped at 50 columns', () => {
    const table = formatEvents([
      {
        metadata: {},
        involvedObject: {},
        firstTimestamp: new Date('2024-05-01T10:00:00Z'),
        lastTimestamp: new Date('2024-05-01T10:00:00Z'),
        count: 1,
        type: 'Warning',
        reason: 'FailedCreate',
        message:
          'Error creating: pods "buildkite-abc-" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found',
      },
      {
        metadata: {},
        involvedObject: {},
        firstTimestamp: new Date('2024-05-01T09:00:00Z'),
        lastTimestamp: new Date('2024-05-01T10:05:00Z'),
        count: 4,
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: 'Created pod: buildkite-abc-xyz',
      },
      // As read from the API: eventTime is revived into a Date, the series time stays a string.
      parseKubeJson(
        JSON.stringify({
          metadata: {},
          involvedObject: {},
          eventTime: '2024-05-01T10:00:00.123456Z',
          series: { count: 3, lastObservedTime: '2024-05-01T10:02:30.000000Z' },
          type: 'Warning',
          reason: 'FailedScheduling',
          message: '0/1 nodes are available',
        }),
      ) as KubeEvent,
    ]);
    const w = [29, 13, 7, 16, 50] as const;
    expect(table).toBe(
      [
        rule('╭', '┬', '╮', ...w),
        line(['LAST EVENT', w[0]], ['REPEATED', w[1]], ['TYPE', w[2]], ['REASON', w[3]], ['MESSAGE', w[4]]),
        rule('├', '┼', '┤', ...w),
        line(
          ['2024-05-01 10:00:00 +0000 UTC', w[0]],
          ['-', w[1]],
          ['Warning', w[2]],
          ['FailedCreate', w[3]],
          ['Error creating: pods "buildkite-abc-" is', w[4]],
        ),
        line(
          ['', w[0]],
          ['', w[1]],
          ['', w[2]],
          ['', w[3]],
          ['forbidden: error looking up service account', w[4]],
        ),
        line(
          ['', w[0]],
          ['', w[1]],
          ['', w[2]],
          ['', w[3]],
          ['default/nope: serviceaccount "nope" not found', w[4]],
        ),
        line(
          ['2024-05-01 10:05:00 +0000 UTC', w[0]],
          ['x4', w[1]],
          ['Normal', w[2]],
          ['SuccessfulCreate', w[3]],
          ['Created pod: buildkite-abc-xyz', w[4]],
        ),
        line(
          ['2024-05-01 10:02:30 +0000 UTC', w[0]],
          ['x3 over 2m29s', w[1]],
          ['Warning', w[2]],
          ['FailedScheduling', w[3]],
          ['0/1 nodes are available', w[4]],
        ),
        rule('╰', '┴', '╯', ...w),
      ].join('\n'),
    );
  });
});

describe('failure messages', () => {
  it('lists failed init containers sorted, exit code and signal right-aligned', () => {
    expect(
      formatInitContainerFailures([
        { name: 'init-b', exitCode: 127, signal: 0, reason: 'Error', message: 'sh: nope: not found' },
        { name: 'imagecheck-0', exitCode: 1, signal: 0, reason: 'Error', message: '' },
      ]),
    ).toBe(
      [
        'The following init containers failed:',
        '',
        rule('╭', '┬', '╮', 12, 9, 6, 6, 19),
        line(['CONTAINER', 12], ['EXIT CODE', 9, true], ['SIGNAL', 6, true], ['REASON', 6], ['MESSAGE', 19]),
        rule('├', '┼', '┤', 12, 9, 6, 6, 19),
        line(['imagecheck-0', 12], ['1', 9, true], ['0', 6, true], ['Error', 6], ['', 19]),
        line(['init-b', 12], ['127', 9, true], ['0', 6, true], ['Error', 6], ['sh: nope: not found', 19]),
        rule('╰', '┴', '╯', 12, 9, 6, 6, 19),
      ].join('\n'),
    );
  });

  it('lists containers that cannot start with their quoted image', () => {
    expect(
      formatImageFailures([
        { name: 'container-0', image: 'nope:latest', reason: 'ErrImagePull', message: 'pull failed' },
        { name: 'agent', image: 'bad image', reason: 'InvalidImageName', message: '' },
      ]),
    ).toBe(
      [
        'The following containers could not be created or their images could not be pulled:',
        '',
        rule('╭', '┬', '╮', 11, 13, 16, 11),
        line(['CONTAINER', 11], ['IMAGE REF', 13], ['REASON', 16], ['MESSAGE', 11]),
        rule('├', '┼', '┤', 11, 13, 16, 11),
        line(['agent', 11], ['"bad image"', 13], ['InvalidImageName', 16], ['', 11]),
        line(['container-0', 11], ['"nope:latest"', 13], ['ErrImagePull', 16], ['pull failed', 11]),
        rule('╰', '┴', '╯', 11, 13, 16, 11),
      ].join('\n'),
    );
  });

  it('states the pending time and the pod conditions', () => {
    expect(
      formatPendingTimeout(61_400, [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available',
        },
        { type: 'Ready', status: 'False' },
      ]),
    ).toBe(
      'The pod has been in Pending state for 1m1s without starting.\n\nPod Conditions:\n' +
        '  - PodScheduled: False (Reason: Unschedulable, Message: 0/1 nodes are available)\n' +
        '  - Ready: False (Reason: , Message: )\n',
    );
    expect(formatPendingTimeout(900_000, [])).toBe(
      'The pod has been in Pending state for 15m0s without starting.\n',
    );
  });
});
