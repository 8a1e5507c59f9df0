{{/*
The release's own ServiceAccount; its token is not mounted (the services call no Kubernetes API).
Usage: {{ include "platform-service.serviceAccount" . }}
*/}}
{{- define "platform-service.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "platform-service.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end -}}
