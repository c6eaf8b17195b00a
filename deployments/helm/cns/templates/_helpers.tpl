{{/* Names and labels. */}}
{{- define "cns.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cns.fullname" -}}
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

{{- define "cns.redisName" -}}
{{- printf "%s-redis" (include "cns.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cns.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cns.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cns.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "cns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cns.labels" -}}
{{ include "cns.commonLabels" . }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "cns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "cns.redisLabels" -}}
{{ include "cns.commonLabels" . }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "cns.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "cns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "cns.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The pod's grace period: preStop sleep + gunicorn's graceful timeout + a margin. */}}
{{- define "cns.terminationGracePeriod" -}}
{{- add .Values.preStopSleepSeconds .Values.config.gracefulTimeout .Values.terminationGraceMarginSeconds -}}
{{- end -}}

{{- define "cns.trustedProxies" -}}
{{- if kindIs "invalid" .Values.config.trustedProxies -}}
{{- ternary 1 0 .Values.ingress.enabled -}}
{{- else -}}
{{- .Values.config.trustedProxies -}}
{{- end -}}
{{- end -}}

{{/* Which external data source is configured: files, configMap, volume or "". */}}
{{- define "cns.dataSource" -}}
{{- $sources := list -}}
{{- if .Values.data.files -}}{{- $sources = append $sources "files" -}}{{- end -}}
{{- if .Values.data.configMap.name -}}{{- $sources = append $sources "configMap" -}}{{- end -}}
{{- if .Values.data.volume -}}{{- $sources = append $sources "volume" -}}{{- end -}}
{{- if gt (len $sources) 1 -}}
{{- fail (printf "data: set one of files, configMap.name or volume, not %s" (join " and " $sources)) -}}
{{- end -}}
{{- first $sources | default "" -}}
{{- end -}}

{{/* ConfigMap key of the data file at `path` (index in sorted order + base name). */}}
{{- define "cns.dataKey" -}}
{{- printf "%d-%s" .index (base .path) | trunc 253 -}}
{{- end -}}

{{- define "cns.redisUrl" -}}
{{- printf "redis://%s:6379/0" (include "cns.redisName" .) -}}
{{- end -}}

{{/* The CNS_RATE_LIMIT_STORAGE env entry. */}}
{{- define "cns.rateLimitStorageEnv" -}}
- name: CNS_RATE_LIMIT_STORAGE
{{- if eq .Values.redis.mode "internal" }}
  value: {{ include "cns.redisUrl" . | quote }}
{{- else if eq .Values.redis.mode "external" }}
{{- if .Values.redis.external.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.external.existingSecret }}
      key: {{ .Values.redis.external.existingSecretKey }}
{{- else if .Values.redis.external.url }}
  value: {{ .Values.redis.external.url | quote }}
{{- else }}
{{- fail "redis.mode=external needs redis.external.url or redis.external.existingSecret" }}
{{- end }}
{{- else }}
  value: "memory://"
{{- end }}
{{- end -}}
