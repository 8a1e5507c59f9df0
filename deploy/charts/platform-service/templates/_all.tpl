{{/*
Everything a service chart renders, from its values: a service chart's one template is
  {{ include "platform-service.all" . }}
The canary track (a Deployment and a Service) only when canary.enabled.
*/}}
{{- define "platform-service.all" -}}
{{- include "platform-service.wire" . -}}
{{- $documents := list
  (include "platform-service.serviceAccount" .)
  (include "platform-service.deployment" (dict "context" . "track" "stable"))
  (include "platform-service.service" (dict "context" . "track" "stable"))
-}}
{{- if .Values.canary.enabled -}}
{{- $documents = concat $documents (list
  (include "platform-service.deployment" (dict "context" . "track" "canary"))
  (include "platform-service.service" (dict "context" . "track" "canary"))
) -}}
{{- end -}}
{{- $documents = concat $documents (list
  (include "platform-service.horizontalPodAutoscaler" .)
  (include "platform-service.podDisruptionBudget" .)
  (include "platform-service.networkPolicy" .)
  (include "platform-service.serviceMonitor" .)
  (include "platform-service.prometheusRule" .)
  (include "platform-service.dashboards" .)
) -}}
{{- range $documents }}
{{- if trim . }}
---
{{ trimPrefix "---\n" (trim .) }}
{{- end }}
{{- end }}
{{- end -}}
