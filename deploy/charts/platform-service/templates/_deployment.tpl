{{/*
The Deployment of one track (stable, or the canary).
Usage: {{ include "platform-service.deployment" (dict "context" . "track" "stable") }}
*/}}
{{- define "platform-service.deployment" -}}
{{- $ := .context -}}
{{- $values := $.Values -}}
{{- $selector := include "platform-service.selectorLabels" . -}}
{{- include "platform-service.validate" $ -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "platform-service.trackName" . }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "platform-service.labels" . | nindent 4 }}
spec:
  {{- if eq .track "canary" }}
  replicas: {{ $values.canary.replicas }}
  {{- else if not $values.autoscaling.enabled }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  # Never below the desired count during a rollout: one extra pod first, then one old pod goes.
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "platform-service.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "platform-service.labels" . | nindent 8 }}
      {{- with $values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "platform-service.serviceAccountName" $ }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $values.shutdown.terminationGracePeriodSeconds }}
      {{- with $values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ $values.securityContext.runAsUser }}
        runAsGroup: {{ $values.securityContext.runAsUser }}
        fsGroup: {{ $values.securityContext.runAsUser }}
        seccompProfile:
          type: RuntimeDefault
      {{- with $values.scheduling.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $values.scheduling.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.scheduling.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.scheduling.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
        - maxSkew: 1
          topologyKey: {{ $key }}
          whenUnsatisfiable: {{ $values.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- $selector | nindent 14 }}
        {{- end }}
      containers:
        - name: {{ include "platform-service.name" $ }}
          image: {{ include "platform-service.image" . | quote }}
          imagePullPolicy: {{ $values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $values.containerPort }}
              protocol: TCP
            - name: metrics
              containerPort: {{ $values.metricsPort }}
              protocol: TCP
          env:
            - name: PORT
              value: {{ $values.containerPort | quote }}
            - name: METRICS_PORT
              value: {{ $values.metricsPort | quote }}
            - name: HOST
              value: "0.0.0.0"
            - name: SERVICE_VERSION
              value: {{ include "platform-service.imageTag" . | default "digest" | quote }}
            - name: LOG_LEVEL
              value: {{ $values.logLevel | quote }}
            - name: SHUTDOWN_DRAIN_TIMEOUT_MS
              value: {{ $values.shutdown.drainTimeoutMs | quote }}
            - name: NODE_OPTIONS
              value: {{ printf "%s--max-old-space-size=%d --max-semi-space-size=%d" (ternary "--jitless " "" $values.nodeJitless) (int $values.nodeMaxOldSpaceMiB) (int $values.nodeMaxSemiSpaceMiB) | quote }}
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ $values.database.existingSecret }}
                  key: {{ $values.database.secretKey }}
            {{- range $variable, $dependency := $values.dependencies }}
            - name: {{ $variable }}
              value: {{ printf "http://%s.%s.svc.cluster.local:%d" $dependency.service $dependency.namespace (int $dependency.port) | quote }}
            # This service's own token for it: projected, for its audience, renewed by the kubelet.
            - name: {{ trimSuffix "_URL" $variable }}_TOKEN_FILE
              value: {{ printf "%s/%s" (include "platform-service.tokensPath" $) $dependency.service | quote }}
            {{- end }}
            {{- with $values.identity }}
            - name: OIDC_ISSUER_URL
              value: {{ .oidcIssuerUrl | quote }}
            - name: OIDC_AUDIENCE
              value: {{ .oidcAudience | quote }}
            - name: WORKLOAD_ISSUER_URL
              value: {{ .workloadIssuerUrl | quote }}
            - name: WORKLOAD_AUDIENCE
              value: {{ include "platform-service.name" $ | quote }}
            - name: WORKLOAD_ALLOWED_CALLERS
              value: {{ join "," .allowedCallers | quote }}
            {{- if .caBundle.configMap }}
            - name: NODE_EXTRA_CA_CERTS
              value: {{ printf "%s/%s" (include "platform-service.caBundlePath" $) .caBundle.key | quote }}
            {{- end }}
            {{- end }}
            {{- with $values.tracing }}
            {{- if .otlpEndpoint }}
            - name: OTEL_EXPORTER_OTLP_ENDPOINT
              value: {{ .otlpEndpoint | quote }}
            - name: OTEL_TRACES_SAMPLER
              value: {{ .sampler | quote }}
            - name: OTEL_TRACES_SAMPLER_ARG
              value: {{ .samplerArg | quote }}
            {{- end }}
            {{- end }}
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: OTEL_RESOURCE_ATTRIBUTES
              value: {{ printf "deployment.environment.name=%s,k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),service.instance.id=$(POD_NAME),app.track=%s" $values.environment .track | quote }}
            {{- range $name, $value := $values.extraEnv }}
            - name: {{ $name }}
              value: {{ $value | quote }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /health/startup
              port: http
            periodSeconds: 2
            failureThreshold: {{ $values.probes.startupFailureThreshold }}
          livenessProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          lifecycle:
            # Keeps serving while the load balancer deregisters the pod, then SIGTERM drains.
            preStop:
              sleep:
                seconds: {{ $values.shutdown.preStopSleepSeconds }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            runAsNonRoot: true
            runAsUser: {{ $values.securityContext.runAsUser }}
            runAsGroup: {{ $values.securityContext.runAsUser }}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $values.dependencies }}
            - name: workload-tokens
              mountPath: {{ include "platform-service.tokensPath" $ }}
              readOnly: true
            {{- end }}
            {{- if $values.identity.caBundle.configMap }}
            - name: ca-bundle
              mountPath: {{ include "platform-service.caBundlePath" $ }}
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with $values.identity.caBundle }}
        {{- if .configMap }}
        - name: ca-bundle
          configMap:
            name: {{ .configMap }}
            items:
              - key: {{ .key }}
                path: {{ .key }}
        {{- end }}
        {{- end }}
        {{- with $values.dependencies }}
        # One token per service called, each for that service's audience (the API token stays unmounted).
        - name: workload-tokens
          projected:
            sources:
              {{- range $variable, $dependency := . }}
              - serviceAccountToken:
                  audience: {{ $dependency.service }}
                  expirationSeconds: {{ $values.identity.tokenExpirationSeconds }}
                  path: {{ $dependency.service }}
              {{- end }}
        {{- end }}
{{- end -}}
