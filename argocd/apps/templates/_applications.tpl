{{/*
Every child Application: those listed under .Values.applications, and one per service of the
system's manifest (.Values.services, from deploy/services.json) shaped by .Values.serviceApplication.
As a YAML list, for `fromYamlArray`.
Usage: {{ range include "apps.applications" . | fromYamlArray }}
*/}}
{{- define "apps.applications" -}}
{{- $applications := .Values.applications | default list -}}
{{- $listed := list -}}
{{- range $applications }}{{ $listed = append $listed .name }}{{ end -}}
{{- range .Values.services -}}
{{- if has .name $listed -}}
{{- fail (printf "applications: %s is a service of deploy/services.json; its Application comes from serviceApplication" .name) -}}
{{- end -}}
{{- $applications = append $applications (merge (dict "name" .name "namespace" .name "path" (printf "deploy/charts/%s" .name)) (deepCopy $.Values.serviceApplication)) -}}
{{- end -}}
{{- toYaml $applications -}}
{{- end -}}
