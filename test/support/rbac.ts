/** The controller's Role rules, as upstream's chart grants them: the chart and the plain manifests both use these. */
export const CONTROLLER_ROLE_RULES = [
  {
    apiGroups: ['batch'],
    resources: ['jobs'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
  },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['podtemplates', 'secrets'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
];
