{{/* Names -------------------------------------------------------------------------------- */}}

{{- define "baton.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or <release> when it already contains the chart name; 63 chars max
minus room for the longest component suffix ("-api-key"). */}}
{{- define "baton.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "baton.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels: call with (dict "root" $ "component" "api") */}}
{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "baton.labels" -}}
helm.sh/chart: {{ include "baton.chart" .root }}
{{ include "baton.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: baton
{{- end }}

{{- define "baton.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Secrets ------------------------------------------------------------------------------
Each secret value comes from an existing Secret (existingSecret/existingSecretKey) or from the
chart's own Secret (<fullname>), whose keys are fixed. The migration hook runs before the
chart's Secret exists, so it reads a hook copy (<fullname>-migrate). */}}

{{- define "baton.secretName" -}}
{{- include "baton.fullname" . }}
{{- end }}

{{- define "baton.hookSecretName" -}}
{{- printf "%s-migrate" (include "baton.fullname" .) }}
{{- end }}

{{/* The data of the chart's Secret: only the values not taken from an existing Secret. */}}
{{- define "baton.secretData" -}}
{{- if and .Values.database.url (not .Values.database.existingSecret) }}
database-url: {{ .Values.database.url | quote }}
{{- end }}
{{- if and .Values.broker.url (not .Values.broker.existingSecret) }}
broker-url: {{ .Values.broker.url | quote }}
{{- end }}
{{- if and .Values.encryption.keys (not .Values.encryption.existingSecret) }}
encryption-keys: {{ .Values.encryption.keys | quote }}
{{- end }}
{{- if and .Values.flower.enabled .Values.flower.basicAuth (not .Values.flower.existingSecret) }}
flower-basic-auth: {{ .Values.flower.basicAuth | quote }}
{{- end }}
{{- end }}

{{/* A secretKeyRef: call with (dict "root" $ "item" .Values.database "key" "database-url"
"hook" false). */}}
{{- define "baton.secretKeyRef" -}}
{{- if .item.existingSecret }}
name: {{ .item.existingSecret }}
key: {{ .item.existingSecretKey }}
{{- else if .hook }}
name: {{ include "baton.hookSecretName" .root }}
key: {{ .key }}
{{- else }}
name: {{ include "baton.secretName" .root }}
key: {{ .key }}
{{- end }}
{{- end }}

{{/* Checks that fail the rendering with a message instead of deploying something broken. */}}
{{- define "baton.validate" -}}
{{- if not (or .Values.database.url .Values.database.existingSecret) }}
{{- fail "database.url or database.existingSecret is required (PostgreSQL URL, BATON_DATABASE_URL)" }}
{{- end }}
{{- if not (or .Values.broker.url .Values.broker.existingSecret) }}
{{- fail "broker.url or broker.existingSecret is required (Redis URL, BATON_BROKER_URL)" }}
{{- end }}
{{- if and .Values.flower.enabled (not (or .Values.flower.basicAuth .Values.flower.existingSecret)) }}
{{- fail "flower.basicAuth or flower.existingSecret is required while flower.enabled: Flower is never exposed without authentication" }}
{{- end }}
{{- if and .Values.flower.basicAuth (not (contains ":" .Values.flower.basicAuth)) }}
{{- fail "flower.basicAuth must be user:password" }}
{{- end }}
{{- range $name := list "BATON_DATABASE_URL" "BATON_BROKER_URL" "BATON_ENCRYPTION_KEYS" }}
{{- if hasKey $.Values.config $name }}
{{- fail (printf "%s does not belong in config: use database / broker / encryption (kept in a Secret)" $name) }}
{{- end }}
{{- end }}
{{- if and .Values.worker.autoscaling.enabled (gt (int .Values.worker.autoscaling.minReplicas) (int .Values.worker.autoscaling.maxReplicas)) }}
{{- fail "worker.autoscaling.minReplicas must not exceed maxReplicas" }}
{{- end }}
{{- end }}

{{/* Environment of a Baton container: call with (dict "root" $ "database" true "broker" true
"encryption" true "hook" false); each flag gives that secret to the container (least privilege:
the migration gets only the database, Flower only the broker). */}}
{{- define "baton.env" -}}
{{- $root := .root }}
{{- if .database }}
- name: BATON_DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- include "baton.secretKeyRef" (dict "root" $root "item" $root.Values.database "key" "database-url" "hook" .hook) | trim | nindent 6 }}
{{- end }}
{{- if .broker }}
- name: BATON_BROKER_URL
  valueFrom:
    secretKeyRef:
      {{- include "baton.secretKeyRef" (dict "root" $root "item" $root.Values.broker "key" "broker-url" "hook" false) | trim | nindent 6 }}
{{- end }}
{{- if and .encryption (or $root.Values.encryption.keys $root.Values.encryption.existingSecret) }}
- name: BATON_ENCRYPTION_KEYS
  valueFrom:
    secretKeyRef:
      {{- include "baton.secretKeyRef" (dict "root" $root "item" $root.Values.encryption "key" "encryption-keys" "hook" false) | trim | nindent 6 }}
{{- end }}
{{- range $name, $value := $root.Values.config }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level pieces shared by every pod. */}}
{{- define "baton.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
# No <SERVICE>_* variables in the environment (Flower would take FLOWER_* ones for options).
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "baton.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "baton.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Pod annotation that rolls the pods when the chart's Secret changes. */}}
{{- define "baton.secretChecksum" -}}
checksum/secret: {{ include "baton.secretData" . | sha256sum }}
{{- end }}
