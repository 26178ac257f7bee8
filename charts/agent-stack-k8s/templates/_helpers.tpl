{{/* The chart name, or nameOverride. */}}
{{- define "agent-stack-k8s.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The name of every object and the controller id (so the Buildkite stack key): fullnameOverride, else the
release name when it already contains the chart name, else "<release>-<chart name>"; at most 63 characters.
*/}}
{{- define "agent-stack-k8s.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "agent-stack-k8s.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding BUILDKITE_AGENT_TOKEN: an existing one, or the one this chart creates. */}}
{{- define "agent-stack-k8s.tokenSecret" -}}
{{- .Values.agentStackSecret | default (printf "%s-secrets" (include "agent-stack-k8s.fullname" .)) -}}
{{- end -}}

{{/* The ServiceAccount, also the name of the Role it is bound to. */}}
{{- define "agent-stack-k8s.serviceAccount" -}}
{{- include "agent-stack-k8s.fullname" . }}-controller
{{- end -}}

{{/* Selects the controller pod; the Deployment selector, so it never changes between releases. */}}
{{- define "agent-stack-k8s.selectorLabels" -}}
app: {{ include "agent-stack-k8s.fullname" . }}
{{- end -}}

{{/* Metadata of an object named by the chart, with the user's extra labels and annotations. */}}
{{- define "agent-stack-k8s.metadata" -}}
name: {{ .name }}
namespace: {{ .namespace }}
{{- with .extra.labels }}
labels:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .extra.annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Namespace of the PodMonitor and the dashboard ConfigMap. */}}
{{- define "agent-stack-k8s.monitoringNamespace" -}}
{{- .Values.monitoring.namespace | default .Release.Namespace -}}
{{- end -}}
