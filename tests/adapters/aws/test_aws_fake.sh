#!/usr/bin/env bash
# test_aws_fake.sh - rnr-aws-fake as any client sees it (the curl command
# line signing with --aws-sigv4): the documented response and error shapes
# of each API, and that it refuses bad signatures, a wrong scope, a body
# that does not match its signed hash, and unsigned requests.
set -euo pipefail
fake=${RNR_BUILD_DIR:?}/tools/aws_fake/rnr-aws-fake
dir=$(mktemp -d /tmp/rnr-aws-fake-sh-XXXXXX)
AK=AKIDSHELLTEST01 SK='shell/Secret+Key0123456789abcdefghijkl'
"$fake" --access-key "$AK" --secret-key "$SK" --log "$dir/log" \
  --secret 'arn:aws:secretsmanager:us-east-1:1:secret:db=pa55' \
  --service 'c1/worker=2/4' --creds-path /creds --creds-auth 'tok 1' >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do grep -q '^port ' "$dir/out" && break; sleep 0.05; done
port=$(sed -n 's/^port //p' "$dir/out")
[ -n "$port" ] || { echo "fake did not start: $(cat "$dir/err")"; exit 1; }
url=http://127.0.0.1:$port/
fails=0
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# call NAME EXPECT_STATUS EXPECT_SUBSTRING SERVICE SECRET BODY [curl args...]
call() {
  local name=$1 want=$2 sub=$3 svc=$4 secret=$5 body=$6; shift 6
  local out status
  out=$(curl -s -w '\n%{http_code}' --aws-sigv4 "aws:amz:us-east-1:$svc" --user "$AK:$secret" \
        -H "x-amz-content-sha256: $(sha "$body")" --data-binary "$body" "$@" "$url")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  if [ "$status" != "$want" ] || [[ "$out" != *"$sub"* ]]; then
    echo "FAIL $name: status $status (want $want), body: $out"; fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}
J=(-H 'Content-Type: application/x-amz-json-1.1')
SM=(-H 'X-Amz-Target: secretsmanager.GetSecretValue')
ECS=(-H 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeServices')
CW=(-H 'Content-Type: application/x-www-form-urlencoded')

call secret 200 '"SecretString":"pa55"' secretsmanager "$SK" \
  '{"SecretId":"arn:aws:secretsmanager:us-east-1:1:secret:db"}' "${J[@]}" "${SM[@]}"
call secret-missing 400 '"__type":"ResourceNotFoundException"' secretsmanager "$SK" \
  '{"SecretId":"nope"}' "${J[@]}" "${SM[@]}"
call wrong-secret 403 '"__type":"InvalidSignatureException"' secretsmanager 'wrong' \
  '{"SecretId":"nope"}' "${J[@]}" "${SM[@]}"
call wrong-service-scope 403 'InvalidSignatureException' ecs "$SK" \
  '{"SecretId":"nope"}' "${J[@]}" "${SM[@]}"
call ecs 200 '"runningCount":2' ecs "$SK" '{"cluster":"c1","services":["worker"]}' "${J[@]}" "${ECS[@]}"
call ecs-missing 200 '"reason":"MISSING"' ecs "$SK" '{"cluster":"c1","services":["gone"]}' \
  "${J[@]}" "${ECS[@]}"
call cloudwatch 200 '<PutMetricDataResponse' monitoring "$SK" \
  'Action=PutMetricData&Version=2010-08-01&Namespace=ECS%2FService%2FRabbitMQ&MetricData.member.1.MetricName=BacklogPerTask&MetricData.member.1.Value=7' \
  "${CW[@]}"
call cloudwatch-missing 400 '<Code>MissingParameter</Code>' monitoring "$SK" \
  'Action=PutMetricData&Version=2010-08-01' "${CW[@]}"

# A body that is not the one whose hash was signed.
out=$(curl -s -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:secretsmanager --user "$AK:$SK" \
      -H "x-amz-content-sha256: $(sha '{"SecretId":"a"}')" --data-binary '{"SecretId":"b"}' \
      "${J[@]}" "${SM[@]}" "$url")
if [[ "$out" == *InvalidSignatureException*400 ]]; then echo "ok   tampered-body"; else
  echo "FAIL tampered-body: $out"; fails=$((fails + 1)); fi
# No signature at all.
out=$(curl -s -w '%{http_code}' --data-binary '{}' "${J[@]}" "${SM[@]}" "$url")
if [[ "$out" == *MissingAuthenticationToken*400 ]]; then echo "ok   unsigned"; else
  echo "FAIL unsigned: $out"; fails=$((fails + 1)); fi
# The container-credentials endpoint checks its token.
out=$(curl -s -w '%{http_code}' -H 'Authorization: tok 1' "${url}creds")
if [[ "$out" == *'"AccessKeyId":"'$AK'"'*200 ]]; then echo "ok   creds"; else
  echo "FAIL creds: $out"; fails=$((fails + 1)); fi
out=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: tok 2' "${url}creds")
if [ "$out" = 401 ]; then echo "ok   creds-bad-token"; else
  echo "FAIL creds-bad-token: $out"; fails=$((fails + 1)); fi

# Every request is in the log, with the verdict.
n=$(wc -l < "$dir/log")
bad=$(grep -c '"sig":"signature mismatch"' "$dir/log" || true)
if [ "$n" = 12 ] && [ "$bad" = 1 ]; then echo "ok   log"; else
  echo "FAIL log: $n lines, $bad mismatches"; fails=$((fails + 1)); fi
[ "$fails" = 0 ]
