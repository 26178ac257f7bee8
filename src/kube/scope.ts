/**
 * Which Jobs and Pods a controller watches (controller.md §1.2): those carrying a Buildkite job UUID
 * and this controller's ID, or no controller ID at all when the controller has none. Controllers in one
 * namespace with distinct IDs therefore never see each other's objects.
 */
export const JOB_UUID_LABEL = 'buildkite.com/job-uuid';
export const CONTROLLER_ID_LABEL = 'buildkite.com/controller-id';

export function watchLabelSelector(controllerId: string): string {
  return controllerId === ''
    ? `${JOB_UUID_LABEL},!${CONTROLLER_ID_LABEL}`
    : `${JOB_UUID_LABEL},${CONTROLLER_ID_LABEL}=${controllerId}`;
}
