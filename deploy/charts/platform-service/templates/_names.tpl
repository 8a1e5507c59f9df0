{{/*
Names, truncated to the 63 characters Kubernetes allows for a name or label value.
*/}}

{{/*
The chart name, or .Values.nameOverride.
Usage: {{ include "platform-service.name" . }}
*/}}
{{- define "platform-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release's object name: .Values.fullnameOverride, else the release name when it already
contains the chart name, else "<release>-<chart>". Two releases never collide.
Usage: {{ include "platform-service.fullname" . }}
*/}}
{{- define "platform-service.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The name of a track's objects: the fullname for stable, "<fullname>-canary" for the canary.
Usage: {{ include "platform-service.trackName" (dict "context" . "track" "canary") }}
*/}}
{{- define "platform-service.trackName" -}}
{{- $fullname := include "platform-service.fullname" .context -}}
{{- if eq .track "stable" -}}
{{- $fullname -}}
{{- else -}}
{{- printf "%s-%s" ($fullname | trunc 56 | trimSuffix "-") .track -}}
{{- end -}}
{{- end -}}

{{/*
"<chart>-<version>" for the helm.sh/chart label.
Usage: {{ include "platform-service.chart" . }}
*/}}
{{- define "platform-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The ServiceAccount of the release.
Usage: {{ include "platform-service.serviceAccountName" . }}
*/}}
{{- define "platform-service.serviceAccountName" -}}
{{- default (include "platform-service.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
Where the projected service-account tokens for the services this one calls are mounted.
*/}}
{{- define "platform-service.tokensPath" -}}
/var/run/secrets/platform/tokens
{{- end -}}

{{/* Where the CA certificates of identity.caBundle are mounted. */}}
{{- define "platform-service.caBundlePath" -}}
/var/run/secrets/platform/ca
{{- end -}}
