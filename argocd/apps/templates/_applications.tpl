{{/*
Every child Application: those listed under .Values.applications (but one whose `enabledBy` switch
is off), and one per service of the system's manifest (.Values.services, from deploy/services.json)
shaped by .Values.serviceApplication.
As a YAML list, for `fromYamlArray`.
Usage: {{ range include "apps.applications" . | fromYamlArray }}
*/}}
{{- define "apps.applications" -}}
{{- $applications := list -}}
{{- $listed := list -}}
{{- range $app := .Values.applications | default list -}}
{{- $listed = append $listed $app.name -}}
{{- $switch := dict "enabled" true -}}
{{- with $app.enabledBy }}{{ $switch = required (printf "applications: %s is enabled by %s, which values.yaml does not define" $app.name .) (get $.Values .) }}{{ end -}}
{{- if $switch.enabled }}{{ $applications = append $applications $app }}{{ end -}}
{{- end -}}
{{- range .Values.services -}}
{{- if has .name $listed -}}
{{- fail (printf "applications: %s is a service of deploy/services.json; its Application comes from serviceApplication" .name) -}}
{{- end -}}
{{- $applications = append $applications (merge (dict "name" .name "namespace" .name "path" (printf "deploy/charts/%s" .name)) (deepCopy $.Values.serviceApplication)) -}}
{{- end -}}
{{- toYaml $applications -}}
{{- end -}}

{{/*
The identity the release workflow signs the images as (the subject of its keyless certificate):
the workflow file's URL in this repository, at the branch the root tracks.
Usage: {{ include "apps.signerSubject" . }}
*/}}
{{- define "apps.signerSubject" -}}
{{- $repository := trimSuffix ".git" .Values.repoURL -}}
{{- if not (regexMatch "^https://github\\.com/[^/]+/[^/]+$" $repository) -}}
{{- fail (printf "imageVerification: the images are signed by a GitHub Actions workflow, so repoURL must be https://github.com/<owner>/<repository>, not %q" .Values.repoURL) -}}
{{- end -}}
{{- printf "%s/%s@refs/heads/%s" $repository .Values.imageVerification.workflow .Values.targetRevision -}}
{{- end -}}

{{/*
The released images, `<registry>/<repository>` each, as the release workflow records them
(releases.yaml), in the manifest's order. As a YAML list, for `fromYamlArray`.
Usage: {{ include "apps.releasedImages" . | fromYamlArray }}
*/}}
{{- define "apps.releasedImages" -}}
{{- $images := list -}}
{{- range $service := .Values.services -}}
{{- with get ($.Values.releases | default dict) $service.name -}}
{{- $registry := required (printf "imageVerification: releases.%s.image.registry is missing (the release workflow records it)" $service.name) .image.registry -}}
{{- $repository := required (printf "imageVerification: releases.%s.image.repository is missing (the release workflow records it)" $service.name) .image.repository -}}
{{- $images = append $images (printf "%s/%s" $registry $repository) -}}
{{- end -}}
{{- end -}}
{{- toYaml $images -}}
{{- end -}}
