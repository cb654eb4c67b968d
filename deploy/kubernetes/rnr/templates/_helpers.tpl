{{- define "rnr.fullname" -}}
{{- if eq .Release.Name .Chart.Name -}}
{{- .Chart.Name | trunc 50 -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "rnr.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "rnr.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "rnr.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "rnr.brokerSecret" -}}
{{- .Values.broker.existingSecret | default (printf "%s-broker" (include "rnr.fullname" .)) -}}
{{- end -}}
{{- define "rnr.redisSecret" -}}
{{- .Values.redis.existingSecret | default (printf "%s-redis" (include "rnr.fullname" .)) -}}
{{- end -}}
{{- define "rnr.s3Secret" -}}
{{- .Values.s3.existingSecret | default (printf "%s-s3" (include "rnr.fullname" .)) -}}
{{- end -}}

{{- /* The environment every rnr container gets: the reference deployment's
       variable names, secrets by reference. */ -}}
{{- define "rnr.env" -}}
- name: RABBITMQ_ENDPOINT
  valueFrom:
    secretKeyRef:
      name: {{ include "rnr.brokerSecret" . }}
      key: endpoint
- name: RABBITMQ_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "rnr.brokerSecret" . }}
      key: username
- name: RABBITMQ_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "rnr.brokerSecret" . }}
      key: password
- name: MQ_QUEUE_NAME
  value: {{ .Values.broker.queueName | quote }}
- name: RNR_CACHE_URL
  value: {{ printf "%s://%s:%v/0" (ternary "rediss" "redis" .Values.redis.tls) .Values.redis.host .Values.redis.port | quote }}
{{- if or .Values.redis.existingSecret .Values.redis.password }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "rnr.redisSecret" . }}
      key: password
{{- end }}
- name: APP_BUCKET_NAME
  value: {{ .Values.s3.bucket | quote }}
- name: AWS_REGION
  value: {{ .Values.s3.region | quote }}
{{- if .Values.s3.endpoint }}
- name: AWS_ENDPOINT_URL_S3
  value: {{ .Values.s3.endpoint | quote }}
{{- end }}
{{- /* No keys: the pod's identity (IRSA) through the SDK credential chain. */}}
{{- if or .Values.s3.existingSecret .Values.s3.accessKeyId }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ include "rnr.s3Secret" . }}
      key: accessKeyId
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "rnr.s3Secret" . }}
      key: secretAccessKey
{{- end }}
- name: APP_OUTPUT_S3_KEY
  value: {{ .Values.s3.outputPrefix | quote }}
- name: POSTPROCESS_OUTPUT_S3_KEY
  value: {{ .Values.s3.postprocessPrefix | quote }}
- name: NWS_API_URL
  value: {{ .Values.nws.apiUrl | quote }}
- name: NWPS_API_URL
  value: {{ .Values.nws.nwpsUrl | quote }}
- name: NWS_USER_AGENT
  value: {{ .Values.nws.userAgent | quote }}
- name: RNR_STATE_DIR
  value: /var/lib/rnr
- name: RNR_LOG_FORMAT
  value: json
{{- if eq .Values.hydrofabric.mode "s3" }}
- name: HYDROFABRIC_S3_KEY
  value: {{ required "hydrofabric.s3Key is required with mode s3" .Values.hydrofabric.s3Key | quote }}
{{- else }}
- name: RNR_HYDROFABRIC
  value: {{ .Values.hydrofabric.path | quote }}
{{- end }}
{{- end -}}

{{- define "rnr.hydrofabricClaim" -}}
{{- .Values.hydrofabric.existingClaim | default (printf "%s-hydrofabric" (include "rnr.fullname" .)) -}}
{{- end -}}

{{- /* Volumes of every rnr pod: scratch state, and the hydrofabric claim
       (read-only) in volume mode. */ -}}
{{- define "rnr.volumes" -}}
- name: state
  emptyDir: {}
{{- if eq .Values.hydrofabric.mode "volume" }}
- name: hydrofabric
  persistentVolumeClaim:
    claimName: {{ include "rnr.hydrofabricClaim" . }}
{{- end }}
{{- end -}}

{{- define "rnr.volumeMounts" -}}
- name: state
  mountPath: /var/lib/rnr
{{- if eq .Values.hydrofabric.mode "volume" }}
- name: hydrofabric
  mountPath: /hydrofabric
  readOnly: true
{{- end }}
{{- end -}}
