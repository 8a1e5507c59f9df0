{{/*
The ClusterIP Service of one track: port 80 to the container's named port.
Usage: {{ include "platform-service.service" (dict "context" . "track" "stable") }}
*/}}
{{- define "platform-service.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "platform-service.trackName" . }}
  namespace: {{ .context.Release.Namespace }}
  labels:
    {{- include "platform-service.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "platform-service.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .context.Values.service.port }}
      targetPort: http
      protocol: TCP
    - name: metrics
      port: {{ .context.Values.metricsPort }}
      targetPort: metrics
      protocol: TCP
{{- end -}}
