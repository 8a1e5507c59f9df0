{{/*
The service's SLOs and alerts as a PrometheusRule (Prometheus Operator): recording rules for the
SLIs over the windows the alerts need, multi-window multi-burn-rate error-budget alerts (Google SRE
workbook, chapter 5: a fast pair that pages, a slow pair that opens a ticket) for availability and
for read and write latency, and alerts for restarts, OOM kills, readiness, memory, event-loop lag,
the database pool, the services this one calls (its `dependencies`) and its background tasks. Every alert has a
severity, a summary naming the service and a runbook_url to its section in docs/runbooks/.
Series are selected by job (the ServiceMonitor's jobLabel: the app name, for every track) and
namespace.
Usage: {{ include "platform-service.prometheusRule" . }}
*/}}
{{- define "platform-service.prometheusRule" -}}
{{- $o := .Values.observability -}}
{{- if $o.prometheusRule.enabled -}}
{{- $name := include "platform-service.name" . -}}
{{- $sel := printf "job=%q,namespace=%q" $name .Release.Namespace -}}
{{- $routed := printf "%s,route!~%q" $sel "unmatched|/health/.*|/metrics|/openapi.json" -}}
{{- $errorBudget := divf (subf 100.0 $o.slo.availability) 100.0 -}}
{{- $latencyBudget := divf (subf 100.0 $o.slo.latency.target) 100.0 -}}
{{- $runbooks := trimSuffix "/" $o.prometheusRule.runbookBaseUrl -}}
{{- $limitBytes := include "platform-service.bytes" .Values.resources.limits.memory -}}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "platform-service.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
    {{- with $o.prometheusRule.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  groups:
    - name: {{ $name }}-slo
      rules:
        {{- range $window := list "5m" "30m" "1h" "2h" "6h" "1d" "3d" }}
        - record: slo:request_errors:ratio_rate{{ $window }}
          expr: |-
            sum(rate(http_server_requests_total{ {{- $routed }},status_code=~"5.."}[{{ $window }}]))
            /
            sum(rate(http_server_requests_total{ {{- $routed }}}[{{ $window }}]))
          labels:
            service: {{ $name }}
        - record: slo:read_latency_slow:ratio_rate{{ $window }}
          expr: |-
            1 - (
              sum(rate(http_server_request_duration_seconds_bucket{ {{- $routed }},method=~"GET|HEAD",le="{{ $o.slo.latency.readSeconds }}"}[{{ $window }}]))
              /
              sum(rate(http_server_request_duration_seconds_count{ {{- $routed }},method=~"GET|HEAD"}[{{ $window }}]))
            )
          labels:
            service: {{ $name }}
        - record: slo:write_latency_slow:ratio_rate{{ $window }}
          expr: |-
            1 - (
              sum(rate(http_server_request_duration_seconds_bucket{ {{- $routed }},method=~"POST|PUT|PATCH|DELETE",le="{{ $o.slo.latency.writeSeconds }}"}[{{ $window }}]))
              /
              sum(rate(http_server_request_duration_seconds_count{ {{- $routed }},method=~"POST|PUT|PATCH|DELETE"}[{{ $window }}]))
            )
          labels:
            service: {{ $name }}
        {{- end }}
    - name: {{ $name }}-slo-alerts
      rules:
        {{- range $slo := list (dict "sli" "request_errors" "alert" "ErrorBudget" "what" "5xx answers" "budget" $errorBudget) (dict "sli" "read_latency_slow" "alert" "ReadLatencyBudget" "what" (printf "reads slower than %vs" $o.slo.latency.readSeconds) "budget" $latencyBudget) (dict "sli" "write_latency_slow" "alert" "WriteLatencyBudget" "what" (printf "writes slower than %vs" $o.slo.latency.writeSeconds) "budget" $latencyBudget) }}
        {{- $b := $slo.budget }}
        - alert: Service{{ $slo.alert }}BurnFast
          expr: |-
            (
              slo:{{ $slo.sli }}:ratio_rate1h{service="{{ $name }}"} > {{ mulf 14.4 $b | printf "%.6g" }}
              and
              slo:{{ $slo.sli }}:ratio_rate5m{service="{{ $name }}"} > {{ mulf 14.4 $b | printf "%.6g" }}
            )
            or
            (
              slo:{{ $slo.sli }}:ratio_rate6h{service="{{ $name }}"} > {{ mulf 6.0 $b | printf "%.6g" }}
              and
              slo:{{ $slo.sli }}:ratio_rate30m{service="{{ $name }}"} > {{ mulf 6.0 $b | printf "%.6g" }}
            )
          labels:
            {{- include "platform-service.alertLabels" (dict "context" $ "severity" "page") | nindent 12 }}
          annotations:
            summary: {{ printf "%s is burning its error budget fast: %s" $name $slo.what | quote }}
            description: {{ printf "At this rate the 30-day budget of %s (%s%% of requests) is gone within two days." $slo.what (mulf $b 100.0 | printf "%.3g") | quote }}
            runbook_url: {{ printf "%s/slo.md#service%sburnfast" $runbooks ($slo.alert | lower) }}
        - alert: Service{{ $slo.alert }}BurnSlow
          expr: |-
            (
              slo:{{ $slo.sli }}:ratio_rate1d{service="{{ $name }}"} > {{ mulf 3.0 $b | printf "%.6g" }}
              and
              slo:{{ $slo.sli }}:ratio_rate2h{service="{{ $name }}"} > {{ mulf 3.0 $b | printf "%.6g" }}
            )
            or
            (
              slo:{{ $slo.sli }}:ratio_rate3d{service="{{ $name }}"} > {{ $b | printf "%.6g" }}
              and
              slo:{{ $slo.sli }}:ratio_rate6h{service="{{ $name }}"} > {{ $b | printf "%.6g" }}
            )
          labels:
            {{- include "platform-service.alertLabels" (dict "context" $ "severity" "ticket") | nindent 12 }}
          annotations:
            summary: {{ printf "%s is burning its error budget: %s" $name $slo.what | quote }}
            description: {{ printf "At this rate the 30-day budget of %s (%s%% of requests) runs out before the month does." $slo.what (mulf $b 100.0 | printf "%.3g") | quote }}
            runbook_url: {{ printf "%s/slo.md#service%sburnslow" $runbooks ($slo.alert | lower) }}
        {{- end }}
    - name: {{ $name }}-runtime
      rules:
        - alert: ServicePodRestarting
          expr: increase(kube_pod_container_status_restarts_total{namespace="{{ .Release.Namespace }}",container="{{ $name }}"}[30m]) > 2
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s pod {{ $labels.pod }} restarted more than twice in 30 minutes" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicepodrestarting
        - alert: ServicePodOOMKilled
          expr: |-
            kube_pod_container_status_last_terminated_reason{namespace="{{ .Release.Namespace }}",container="{{ $name }}",reason="OOMKilled"} == 1
            and on (namespace, pod, container)
            increase(kube_pod_container_status_restarts_total{namespace="{{ .Release.Namespace }}",container="{{ $name }}"}[30m]) > 0
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s pod {{ $labels.pod }} was killed for running out of memory" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicepodoomkilled
        - alert: ServiceNotReady
          expr: sum(kube_pod_status_ready{namespace="{{ .Release.Namespace }}",condition="false",pod=~"{{ include "platform-service.fullname" . }}-.*"}) > 0
          for: 10m
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s has pods that fail readiness for 10 minutes" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicenotready
        - alert: ServiceMemoryNearLimit
          expr: max by (pod) (process_resident_memory_bytes{ {{- $sel }}}) > {{ mulf 0.9 (float64 $limitBytes) | int64 }}
          for: 10m
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s pod {{ $labels.pod }} uses over 90%% of its %s memory limit" $name .Values.resources.limits.memory | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicememorynearlimit
        - alert: ServiceEventLoopLagging
          expr: max by (pod) (nodejs_eventloop_lag_p99_seconds{ {{- $sel }}}) > 0.5
          for: 10m
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s pod {{ $labels.pod }} has an event loop lagging over 500 ms (p99)" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#serviceeventlooplagging
        - alert: ServiceDatabasePoolSaturated
          expr: |-
            max by (pod) (db_client_connections_pending_requests{ {{- $sel }}}) > 0
            and on (pod)
            max by (pod) (db_client_connections{ {{- $sel }},state="used"}) >= max by (pod) (db_client_connections_max{ {{- $sel }}})
          for: 5m
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s pod {{ $labels.pod }} has every database connection in use and requests waiting" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicedatabasepoolsaturated
        {{- if $o.prometheusRule.backgroundTasks }}
        - alert: ServiceBackgroundTaskFailing
          expr: sum by (task) (increase(background_task_runs_total{ {{- $sel }},outcome="failed"}[15m])) > 3
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s background task {{ $labels.task }} keeps failing" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicebackgroundtaskfailing
        - alert: ServiceRepairedHalfFinishedWork
          expr: sum by (task, repair) (increase(background_task_repairs_total{ {{- $sel }}}[1h])) > 0
          labels:
            {{- include "platform-service.alertLabels" (dict "context" . "severity" "ticket") | nindent 12 }}
          annotations:
            summary: {{ printf "%s repaired work a crash left half-finished ({{ $labels.task }}: {{ $labels.repair }})" $name | quote }}
            runbook_url: {{ $runbooks }}/runtime.md#servicerepairedhalffinishedwork
        {{- end }}
    {{- $peers := list }}
    {{- range $_, $dependency := .Values.dependencies }}
    {{- $peers = append $peers $dependency.service }}
    {{- end }}
    {{- with $peers | sortAlpha }}
    - name: {{ $name }}-dependencies
      rules:
        - alert: ServiceDependencyFailing
          expr: |-
            (
              sum by (peer) (rate(http_client_request_duration_seconds_count{ {{- $sel }},peer=~"{{ join "|" . }}",status_code=~"5..|0"}[5m]))
              /
              sum by (peer) (rate(http_client_request_duration_seconds_count{ {{- $sel }},peer=~"{{ join "|" . }}"}[5m]))
            ) > 0.05
          for: 5m
          labels:
            {{- include "platform-service.alertLabels" (dict "context" $ "severity" "warning") | nindent 12 }}
          annotations:
            summary: {{ printf "%s calls to {{ $labels.peer }} fail (over 5%% for 5 minutes)" $name | quote }}
            runbook_url: {{ $runbooks }}/dependencies.md#servicedependencyfailing
    {{- end }}
{{- end -}}
{{- end -}}

{{/*
The labels of every alert: its severity, the service, and the chart's extra alert labels.
Usage: {{ include "platform-service.alertLabels" (dict "context" . "severity" "page") }}
*/}}
{{- define "platform-service.alertLabels" -}}
severity: {{ .severity }}
service: {{ include "platform-service.name" .context }}
{{- with .context.Values.observability.prometheusRule.alertLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
A Kubernetes memory quantity (Ki, Mi, Gi, or plain bytes) in bytes.
Usage: {{ include "platform-service.bytes" "128Mi" }}
*/}}
{{- define "platform-service.bytes" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}{{ mul (trimSuffix "Gi" $q | int64) 1073741824 }}
{{- else if hasSuffix "Mi" $q -}}{{ mul (trimSuffix "Mi" $q | int64) 1048576 }}
{{- else if hasSuffix "Ki" $q -}}{{ mul (trimSuffix "Ki" $q | int64) 1024 }}
{{- else -}}{{ $q | int64 }}
{{- end -}}
{{- end -}}
