{{/*
Selector labels: name and instance only, because selectors are immutable; plus the track
(stable or canary) so the two Deployments of a canary rollout never select each other's pods.
Usage: {{ include "platform-service.selectorLabels" (dict "context" . "track" "stable") }}
*/}}
{{- define "platform-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform-service.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/track: {{ .track }}
{{- end -}}

{{/*
Labels on every object of the release.
Usage: {{ include "platform-service.labels" (dict "context" . "track" "stable") }}
*/}}
{{- define "platform-service.labels" -}}
helm.sh/chart: {{ include "platform-service.chart" .context }}
{{ include "platform-service.selectorLabels" . }}
app.kubernetes.io/version: {{ include "platform-service.imageTag" (dict "context" .context "track" .track) | trunc 63 | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: platform
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end -}}
