/** The subset of kube-apiserver validation the fake performs, with the real wording of the causes. */

export interface Cause {
  readonly reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported';
  readonly message: string;
  readonly field: string;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function invalid(field: string, value: string, detail: string): Cause {
  return {
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  };
}

function required(field: string): Cause {
  return { reason: 'FieldValueRequired', field, message: 'Required value' };
}

export function validateName(name: string | undefined, field = 'metadata.name'): Cause[] {
  if (name === undefined || name === '') return [required(field)];
  if (name.length > 253) return [invalid(field, name, 'must be no more than 253 characters')];
  return SUBDOMAIN.test(name) ? [] : [invalid(field, name, SUBDOMAIN_MESSAGE)];
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): Cause[] {
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf('/');
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    if (name.length > 63 || !QUALIFIED_NAME.test(name) || (prefix !== undefined && !SUBDOMAIN.test(prefix))) {
      causes.push(invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.'"));
    }
    if (value.length > 63) causes.push(invalid(field, value, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(value)) causes.push(invalid(field, value, LABEL_VALUE_MESSAGE));
  }
  return causes;
}

interface ContainerLike {
  name?: string;
  image?: string;
}
interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  restartPolicy?: string;
}

export function validatePodSpec(spec: PodSpecLike | undefined, field: string): Cause[] {
  const causes: Cause[] = [];
  if (spec?.containers === undefined || spec.containers.length === 0) {
    causes.push(required(`${field}.containers`));
  }
  const seen = new Set<string>();
  const check = (list: ContainerLike[] | undefined, listField: string): void => {
    (list ?? []).forEach((container, i) => {
      const at = `${field}.${listField}[${i}]`;
      if (container.name === undefined || container.name === '') causes.push(required(`${at}.name`));
      else if (!LABEL.test(container.name) || container.name.length > 63) {
        causes.push(invalid(`${at}.name`, container.name, LABEL_MESSAGE));
      } else if (seen.has(container.name)) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `${at}.name`,
          message: `Duplicate value: "${container.name}"`,
        });
      }
      if (container.name !== undefined) seen.add(container.name);
      if (container.image === undefined || container.image === '') causes.push(required(`${at}.image`));
    });
  };
  check(spec?.initContainers, 'initContainers');
  check(spec?.containers, 'containers');
  return causes;
}

/** Job-specific checks: the pod template must not restart (`Never` or `OnFailure`). */
export function validateJobRestartPolicy(policy: string | undefined): Cause[] {
  if (policy === 'Never' || policy === 'OnFailure') return [];
  return [
    {
      reason: 'FieldValueNotSupported',
      field: 'spec.template.spec.restartPolicy',
      message: `Unsupported value: ${JSON.stringify(policy ?? '')}: supported values: "OnFailure", "Never"`,
    },
  ];
}

/** `Job.batch "x" is invalid: <field>: <message>` (bracketed list when there are several). */
export function invalidMessage(kindWithGroup: string, name: string, causes: readonly Cause[]): string {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const detail = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return `${kindWithGroup} ${JSON.stringify(name)} is invalid: ${detail}`;
}
