#!/bin/sh
# The end-to-end tests' control channel on the guest's second serial port (ttyS1), run by the guest's init: chrooted
# into the host root by the busybox init, or as guest-control.service under systemd. It says READY, then each request
# is one line of base64 (a shell command), each answer one line "RC <code> <base64 of stdout+stderr>".
stty -F /dev/ttyS1 raw -echo 115200
exec 3<>/dev/ttyS1
printf "READY\n" >&3
while IFS= read -r request <&3; do
  printf "%s" "$request" | base64 -d > /tmp/.control-command
  sh /tmp/.control-command > /tmp/.control-output 2>&1 < /dev/null
  printf "RC %s %s\n" "$?" "$(base64 -w0 /tmp/.control-output)" >&3
done
