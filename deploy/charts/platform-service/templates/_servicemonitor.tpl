{{/*
ServiceMonitor for the Prometheus Operator (off by default): scrapes /metrics on the metrics port.
Usage: {{ include "platform-service.serviceMonitor" . }}
*/}}
{{- define "platform-service.serviceMonitor" -}}
{{- if .Values.serviceMonitor.enabled -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "platform-service.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
    {{- with .Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  # The job label is the app's name for every track, so alerts and dashboards select job="<name>".
  jobLabel: app.kubernetes.io/name
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ include "platform-service.name" . }}
      app.kubernetes.io/instance: {{ .Release.Name }}
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ .Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.serviceMonitor.scrapeTimeout }}
{{- end -}}
{{- end -}}
