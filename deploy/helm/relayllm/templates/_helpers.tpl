{{/* Names and labels. */}}
{{- define "relayllm.fullname" -}}
{{- if contains "relayllm" .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-relayllm" .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "relayllm.labels" -}}
app.kubernetes.io/name: relayllm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "orchestrator"). */}}
{{- define "relayllm.selector" -}}
app.kubernetes.io/name: relayllm
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image of an app: (dict "root" $ "app" "slm-worker" "gpu" .Values.slmWorker.gpu). */}}
{{- define "relayllm.image" -}}
{{- $i := .root.Values.image -}}
{{- $suffix := "" -}}
{{- if and .gpu .gpu.enabled -}}{{- $suffix = .gpu.imageSuffix -}}{{- end -}}
{{ printf "%s/%s/%s:%s%s" $i.registry $i.repository .app ($i.tag | default .root.Chart.AppVersion) $suffix }}
{{- end -}}

{{- define "relayllm.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{ printf "%s://%s-nats:4222" (ternary "tls" "nats" .Values.natsClient.tls.enabled) .Release.Name }}
{{- else -}}
{{ required "externalNats.url is required when nats.enabled is false" .Values.externalNats.url }}
{{- end -}}
{{- end -}}

{{- define "relayllm.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{ printf "%s://%s-redis-master:6379" (ternary "rediss" "redis" .Values.redisClient.tls.enabled) .Release.Name }}
{{- else -}}
{{ required "externalRedis.url is required when redis.enabled is false" .Values.externalRedis.url }}
{{- end -}}
{{- end -}}

{{/* Environment every app gets: NATS (url, credentials, TLS), traces, metrics. */}}
{{- define "relayllm.commonEnv" -}}
- name: RELAYLLM_NATS_URL
  value: {{ include "relayllm.natsUrl" . | quote }}
{{- if eq .Values.natsClient.authMode "userPassword" }}
- name: RELAYLLM_NATS_USER
  valueFrom: { secretKeyRef: { name: {{ required "natsClient.authSecret" .Values.natsClient.authSecret }}, key: user } }
- name: RELAYLLM_NATS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .Values.natsClient.authSecret }}, key: password } }
{{- else if eq .Values.natsClient.authMode "token" }}
- name: RELAYLLM_NATS_TOKEN
  valueFrom: { secretKeyRef: { name: {{ required "natsClient.authSecret" .Values.natsClient.authSecret }}, key: token } }
{{- end }}
{{- if .Values.natsClient.tls.enabled }}
- name: RELAYLLM_NATS_TLS_CA_FILE
  value: /etc/relayllm/nats-tls/ca.crt
{{- if .Values.natsClient.tls.clientCert }}
- name: RELAYLLM_NATS_TLS_CERT_FILE
  value: /etc/relayllm/nats-tls/tls.crt
- name: RELAYLLM_NATS_TLS_KEY_FILE
  value: /etc/relayllm/nats-tls/tls.key
{{- end }}
{{- end }}
- name: RELAYLLM_METRICS_HOST
  value: "0.0.0.0"
- name: RELAYLLM_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- if .Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.otel.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .Values.otel.protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .Values.otel.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.otel.samplerArg | quote }}
{{- end }}
{{- end -}}

{{/* Volumes / mounts every app gets: /tmp (read-only root), NATS TLS files. */}}
{{- define "relayllm.commonVolumes" -}}
- name: tmp
  emptyDir: { medium: Memory, sizeLimit: 64Mi }
{{- if .Values.natsClient.tls.enabled }}
- name: nats-tls
  secret: { secretName: {{ required "natsClient.tls.secretName" .Values.natsClient.tls.secretName }} }
{{- end }}
{{- end -}}
{{- define "relayllm.commonMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.natsClient.tls.enabled }}
- name: nats-tls
  mountPath: /etc/relayllm/nats-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by the three Deployments: (dict "root" $ "pool" .Values.slmWorker). */}}
{{- define "relayllm.podCommon" -}}
{{- with .root.Values.image.pullSecrets }}
imagePullSecrets: {{ toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
securityContext: {{ toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .pool.nodeSelector }}
nodeSelector: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .pool.tolerations }}
tolerations: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .pool.affinity }}
affinity: {{ toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Container resources, plus nvidia.com/gpu when the pool runs on GPUs. */}}
{{- define "relayllm.resources" -}}
{{- $r := deepCopy .resources -}}
{{- if .gpu.enabled -}}
{{- $limits := default (dict) $r.limits -}}
{{- $_ := set $limits "nvidia.com/gpu" .gpu.count -}}
{{- $_ := set $r "limits" $limits -}}
{{- $requests := default (dict) $r.requests -}}
{{- $_ := set $requests "nvidia.com/gpu" .gpu.count -}}
{{- $_ := set $r "requests" $requests -}}
{{- end -}}
{{ toYaml $r }}
{{- end -}}

{{/* Model volume of the llama.cpp workers, and its init container (download mode). */}}
{{- define "relayllm.modelVolume" -}}
- name: models
{{- if eq .Values.modelVolume.source "pvc" }}
  persistentVolumeClaim: { claimName: {{ .Values.modelVolume.existingClaim }}, readOnly: true }
{{- else }}
  emptyDir: { sizeLimit: {{ .Values.modelVolume.download.sizeLimit }} }
{{- end }}
{{- end -}}
{{- define "relayllm.modelInit" -}}
{{- if eq .root.Values.modelVolume.source "download" }}
initContainers:
  - name: fetch-model
    image: {{ include "relayllm.image" (dict "root" .root "app" .app "gpu" .gpu) }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    command: ["node", "deploy/docker/fetch-model.mjs", {{ .url | quote }}, {{ printf "/models/%s" .file | quote }}, {{ .sha256 | quote }}]
    {{- with .root.Values.modelVolume.download.tokenSecret }}
    env:
      - name: RELAYLLM_MODEL_FETCH_TOKEN
        valueFrom: { secretKeyRef: { name: {{ . }}, key: token } }
    {{- end }}
    securityContext: {{ toYaml .root.Values.containerSecurityContext | nindent 6 }}
    resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
    volumeMounts:
      - { name: models, mountPath: /models }
      - { name: tmp, mountPath: /tmp }
{{- end }}
{{- end -}}

{{/* NetworkPolicy pieces (networkpolicy.yaml): egress every pod needs (DNS, NATS, collector), /metrics ingress. */}}
{{- define "relayllm.egressBase" -}}
# DNS
- to:
    - namespaceSelector: {}
      podSelector: { matchLabels: { k8s-app: kube-dns } }
  ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
# NATS
- {{- if .Values.nats.enabled }}
  to:
    - podSelector: { matchLabels: { app.kubernetes.io/name: nats, app.kubernetes.io/instance: {{ .Release.Name }} } }
  {{- else if .Values.networkPolicy.externalNatsPeers }}
  to: {{ toYaml .Values.networkPolicy.externalNatsPeers | nindent 4 }}
  {{- end }}
  ports:
    - { port: {{ .Values.networkPolicy.natsPort }}, protocol: TCP }
# OTLP collector
- to:
    - namespaceSelector: {{ toYaml .Values.networkPolicy.collector.namespaceSelector | nindent 8 }}
      podSelector: {{ toYaml .Values.networkPolicy.collector.podSelector | nindent 8 }}
  ports:
    {{- range .Values.networkPolicy.collector.ports }}
    - { port: {{ . }}, protocol: TCP }
    {{- end }}
{{- end -}}
{{- define "relayllm.metricsIngress" -}}
- {{- if .Values.networkPolicy.metricsFrom }}
  from: {{ toYaml .Values.networkPolicy.metricsFrom | nindent 4 }}
  {{- else }}
  from:
    - namespaceSelector: {}
  {{- end }}
  ports:
    - { port: {{ .Values.metrics.port }}, protocol: TCP }
{{- end }}

{{/* The NATS identity of one app and the explicit plain-mode switch: (dict "root" $ "role" "slm-worker"). */}}
{{- define "relayllm.roleEnv" -}}
{{- $v := .root.Values -}}
{{- if eq $v.natsClient.authMode "roles" }}
- name: RELAYLLM_NATS_USER
  value: {{ printf "relayllm-%s" .role | quote }}
- name: RELAYLLM_NATS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ required "natsClient.authSecret" $v.natsClient.authSecret }}, key: {{ printf "%s-password" .role }} } }
{{- end }}
{{- if $v.insecure }}
- name: RELAYLLM_INSECURE
  value: "true"
{{- end }}
{{- end -}}

{{/* Refuses values that leave a channel unprotected unless insecure is true (the apps would refuse to start). */}}
{{- define "relayllm.checkSecureDefaults" -}}
{{- $v := .Values -}}
{{- if not $v.insecure -}}
{{- if eq $v.natsClient.authMode "none" -}}
{{- fail "natsClient.authMode none: NATS without credentials lets anyone pose as a worker; use roles (default), or set insecure: true to run plain on purpose" -}}
{{- end -}}
{{- if not $v.slmWorker.tls.enabled -}}
{{- fail "slmWorker.tls.enabled false: orchestrators could not prove a worker's identity; keep it on, or set insecure: true to run plain on purpose" -}}
{{- end -}}
{{- if and $v.redis.enabled (not $v.redis.auth.enabled) -}}
{{- fail "redis.auth.enabled false: Redis without a password; keep it on, or set insecure: true to run plain on purpose" -}}
{{- end -}}
{{- $externalRedisHasPassword := regexMatch "^rediss?://[^@/]*:[^@/]+@" $v.externalRedis.url -}}
{{- if and (not $v.redisClient.passwordSecret) (ne $v.externalRedis.url "off") (not $externalRedisHasPassword) -}}
{{- fail "redisClient.passwordSecret is empty: the orchestrators would reach Redis without a password; set it, or insecure: true" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A Secret's data as it is in the cluster (empty at install and under `helm template`): generated values stay stable across upgrades. */}}
{{- define "relayllm.existingSecretData" -}}
{{- $secret := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if $secret -}}{{- toJson (default (dict) $secret.data) -}}{{- else -}}{}{{- end -}}
{{- end -}}
