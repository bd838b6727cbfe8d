# packet-lab's own raw-socket binding (native/linux_raw_socket.c, with the
# echo pump of ping -f in native/echo_pump.c), Linux only.
# Built by the root package's install script (package.json); elsewhere the
# target is empty and the tools use the raw-socket package instead.
{
  "targets": [
    {
      "target_name": "packet_lab_linux",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/linux_raw_socket.c", "native/echo_pump.c"],
          "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        }, {
          "type": "none",
        }],
      ],
    },
  ],
}
