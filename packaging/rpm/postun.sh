# deltabridge %postun: tell a running systemd the units are gone. The state
# under /var/lib/deltabridge, the files in /etc/deltabridge and the user stay:
# they are the administrator's to delete.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
