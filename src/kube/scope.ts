/**
 * Which Jobs and Pods a controller watches (controller.md §1.2): those carrying a Buildkite job UUID
 * and this controller's ID, or no controller ID at all when the controller has none. Controllers in one
 * namespace with distinct IDs therefore never see each other's objects.
 */
import { CONTROLLER_ID_LABEL, UUID_LABEL } from '../podspec/labels.js';

export function watchLabelSelector(controllerId: string): string {
  return controllerId === ''
    ? `${UUID_LABEL},!${CONTROLLER_ID_LABEL}`
    : `${UUID_LABEL},${CONTROLLER_ID_LABEL}=${controllerId}`;
}
