{{/*
PodDisruptionBudget of the stable track: at most one pod evicted at a time.
Usage: {{ include "platform-service.podDisruptionBudget" . }}
*/}}
{{- define "platform-service.podDisruptionBudget" -}}
{{- if .Values.podDisruptionBudget.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "platform-service.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- include "platform-service.selectorLabels" (dict "context" . "track" "stable") | nindent 6 }}
{{- end -}}
{{- end -}}

{{/*
HorizontalPodAutoscaler of the stable track (off by default; when on, the Deployment leaves
`replicas` to it).
Usage: {{ include "platform-service.horizontalPodAutoscaler" . }}
*/}}
{{- define "platform-service.horizontalPodAutoscaler" -}}
{{- if .Values.autoscaling.enabled -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "platform-service.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "platform-service.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}
{{- end -}}
{{- end -}}
