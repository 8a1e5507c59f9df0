{{/*
The service's place in the system, from the system's manifest (deploy/services.json, given to every
service chart as a values file, so `.Values.services` lists the services): the services it calls
become its `dependencies` (a URL, a projected token for each, NetworkPolicy egress, alerts), and the
services that call it become its `identity.allowedCallers` and `networkPolicy.callers`. What the
chart's values set explicitly is kept beside them (a caller from outside the manifest). Without a
manifest the chart is wired by its values alone. Merged into .Values once, before anything renders.
Usage: {{ include "platform-service.wire" . }}
*/}}
{{- define "platform-service.wire" -}}
{{- with .Values.services -}}
{{- $name := include "platform-service.name" $ -}}
{{- $self := dict -}}
{{- range . -}}
{{- if eq .name $name -}}{{- $self = . -}}{{- end -}}
{{- end -}}
{{- if not $self -}}
{{- fail (printf "services: deploy/services.json lists no service named %s" $name) -}}
{{- end -}}
{{- $dependencies := deepCopy ($.Values.dependencies | default dict) -}}
{{- range $self.calls -}}
{{- $variable := printf "%s_URL" (upper (replace "-" "_" .)) -}}
{{- if not (hasKey $dependencies $variable) -}}
{{- $_ := set $dependencies $variable (dict "service" . "namespace" . "port" (int $.Values.service.port) "targetPort" (int $.Values.containerPort)) -}}
{{- end -}}
{{- end -}}
{{- $allowed := $.Values.identity.allowedCallers | default list -}}
{{- $peers := $.Values.networkPolicy.callers | default list -}}
{{- range . -}}
{{- if has $name (.calls | default list) -}}
{{- $allowed = append $allowed (printf "system:serviceaccount:%s:%s" .name .name) -}}
{{- $peers = append $peers (dict "namespace" .name "service" .name) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $.Values "dependencies" $dependencies -}}
{{- $_ := set $.Values.identity "allowedCallers" (uniq $allowed) -}}
{{- $_ := set $.Values.networkPolicy "callers" (uniq $peers) -}}
{{- end -}}
{{- end -}}
