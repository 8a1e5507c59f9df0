{{/*
The annotations every member of the IngressGroup carries, defined once so that no two members can
disagree on a group-wide ("exclusive") setting: scheme, listeners, certificate, TLS policy,
redirect, inbound CIDRs, security groups, load balancer attributes.
Usage: {{ include "shared-ingress.groupAnnotations" . }}
*/}}
{{- define "shared-ingress.groupAnnotations" -}}
alb.ingress.kubernetes.io/group.name: {{ .Values.groupName }}
alb.ingress.kubernetes.io/scheme: {{ .Values.alb.scheme }}
alb.ingress.kubernetes.io/target-type: ip
alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}]'
alb.ingress.kubernetes.io/ssl-redirect: "443"
alb.ingress.kubernetes.io/certificate-arn: {{ required "alb.certificateArn: the ACM certificate of the HTTPS listener is required" .Values.alb.certificateArn }}
alb.ingress.kubernetes.io/ssl-policy: {{ .Values.alb.sslPolicy }}
alb.ingress.kubernetes.io/inbound-cidrs: {{ join "," .Values.alb.inboundCidrs }}
{{- with .Values.alb.securityGroups }}
alb.ingress.kubernetes.io/security-groups: {{ join "," . }}
alb.ingress.kubernetes.io/manage-backend-security-group-rules: "true"
{{- end }}
alb.ingress.kubernetes.io/load-balancer-attributes: {{ include "shared-ingress.loadBalancerAttributes" . }}
{{- end -}}

{{/*
Load balancer attributes: idle timeout, invalid header dropping, then the extras.
*/}}
{{- define "shared-ingress.loadBalancerAttributes" -}}
{{- $attributes := list (printf "idle_timeout.timeout_seconds=%d" (int .Values.alb.idleTimeoutSeconds)) "routing.http.drop_invalid_header_fields.enabled=true" -}}
{{- range $key, $value := .Values.alb.extraAttributes }}{{ $attributes = append $attributes (printf "%s=%s" $key $value) }}{{ end -}}
{{- join "," $attributes -}}
{{- end -}}

{{/*
Labels of every object of the release.
*/}}
{{- define "shared-ingress.labels" -}}
app.kubernetes.io/name: shared-ingress
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
