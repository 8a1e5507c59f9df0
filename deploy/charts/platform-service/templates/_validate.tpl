{{/*
Rules the schema cannot express, checked once per render with messages that say what to fix.
Usage: {{ include "platform-service.validate" . }}
*/}}
{{- define "platform-service.validate" -}}
{{- if not .Values.database.existingSecret -}}
{{- fail "database.existingSecret: name the existing Secret that holds this service's DATABASE_URL (secret values never go in git)" -}}
{{- end -}}
{{- $drainSeconds := div (int .Values.shutdown.drainTimeoutMs) 1000 -}}
{{- $needed := add (int .Values.shutdown.preStopSleepSeconds) $drainSeconds 5 -}}
{{- if lt (int .Values.shutdown.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + drainTimeoutMs/1000 + 5 = %d, or the kubelet kills requests still draining" (int .Values.shutdown.terminationGracePeriodSeconds) (int $needed)) -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled (not .Values.autoscaling.enabled) (lt (int .Values.replicaCount) 2) -}}
{{- fail "replicaCount must be at least 2 while the PodDisruptionBudget is enabled (one replica could never be evicted)" -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- end -}}
