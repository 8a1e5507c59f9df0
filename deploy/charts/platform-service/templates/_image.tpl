{{/*
The image tag of a track: .Values.image.tag, or .Values.canary.image.tag for the canary.
Usage: {{ include "platform-service.imageTag" (dict "context" . "track" "stable") }}
*/}}
{{- define "platform-service.imageTag" -}}
{{- if eq .track "canary" -}}
{{- .context.Values.canary.image.tag -}}
{{- else -}}
{{- .context.Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/*
"registry/repository:tag" or "registry/repository@digest" (a digest wins over the tag). An empty
or `latest` tag fails the render: what runs must be a reviewed, immutable version.
Usage: {{ include "platform-service.image" (dict "context" . "track" "stable") }}
*/}}
{{- define "platform-service.image" -}}
{{- $image := .context.Values.image -}}
{{- $tag := include "platform-service.imageTag" . -}}
{{- $digest := ternary .context.Values.canary.image.digest $image.digest (eq .track "canary") -}}
{{- $repository := ternary $image.repository (printf "%s/%s" $image.registry $image.repository) (empty $image.registry) -}}
{{- if $digest -}}
{{- printf "%s@%s" $repository $digest -}}
{{- else if or (empty $tag) (eq $tag "latest") -}}
{{- fail (printf "image tag of the %s track: set %s to an immutable version (a release or commit SHA) or set a digest; an empty or \"latest\" tag is refused" .track (ternary "canary.image.tag" "image.tag" (eq .track "canary"))) -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}
