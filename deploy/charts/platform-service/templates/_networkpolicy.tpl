{{/*
Two policies. `default-deny` selects every pod of the namespace and allows nothing, so a pod no other
policy selects (a debug pod, a Job someone added) is isolated both ways. The service's own policy
then allows in: the HTTP port from the load balancer's subnets (the ALB targets pod IPs)
and from the pods of the services that call this one (namespace and name); allow out: DNS, the services this
one calls, the database CIDRs, the OpenTelemetry collector, and HTTPS (443, or a source's own ports)
to where the identity providers' keys are (identity.keySources).
Usage: {{ include "platform-service.networkPolicy" . }}
*/}}
{{- define "platform-service.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled -}}
{{- $values := .Values -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "platform-service.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-service.labels" (dict "context" . "track" "stable") | nindent 4 }}
  {{- with $values.networkPolicy.wideCidrReason }}
  annotations:
    # The reason a CIDR below is wider than a subnet; the GitOps check reports such CIDRs without it.
    platform.io/wide-cidr-reason: {{ . | quote }}
  {{- end }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "platform-service.name" . }}
      app.kubernetes.io/instance: {{ .Release.Name }}
  policyTypes: [Ingress, Egress]
  ingress:
    - ports:
        - port: http
          protocol: TCP
      from:
        {{- range $values.networkPolicy.loadBalancerCidrs }}
        - ipBlock:
            cidr: {{ . }}
        {{- end }}
        {{- range $values.networkPolicy.callers }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .namespace }}
          podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ .service }}
        {{- end }}
    {{- with $values.networkPolicy.monitoringNamespace }}
    # Prometheus reaches the metrics port, not the API.
    - ports:
        - port: metrics
          protocol: TCP
      from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ . }}
    {{- end }}
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
      to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
    {{- range $variable, $dependency := $values.dependencies }}
    - ports:
        - port: {{ $dependency.targetPort }}
          protocol: TCP
      to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $dependency.namespace }}
          podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ $dependency.service }}
    {{- end }}
    - ports:
        - port: {{ $values.networkPolicy.databasePort }}
          protocol: TCP
      to:
        {{- range $values.networkPolicy.databaseCidrs }}
        - ipBlock:
            cidr: {{ . }}
        {{- end }}
    {{- range $values.identity.keySources }}
    - ports:
        {{- range (.ports | default (list 443)) }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      to:
        - ipBlock:
            cidr: {{ .cidr }}
            {{- with .except }}
            except:
              {{- toYaml . | nindent 14 }}
            {{- end }}
    {{- end }}
    {{- with $values.networkPolicy.collector }}
    {{- if .namespace }}
    - ports:
        - port: {{ .port }}
          protocol: TCP
      to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .namespace }}
    {{- end }}
    {{- end }}
{{- end -}}
{{- end -}}
