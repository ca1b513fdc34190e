{
  # pxecheck's libpcap binding (native/pcap_live.c): built by `npm install` / `npm ci` (node-gyp),
  # needs a C compiler and libpcap-dev (scripts/setup.sh installs both).
  'targets': [
    {
      'target_name': 'pcap_live',
      'sources': ['native/pcap_live.c'],
      'cflags': ['-Wall', '-Wextra', '-Wno-unused-parameter'],
      'libraries': ['-lpcap'],
    },
    # A blocking UDP send/poll/recv for worker threads (native/udp_sync.c): lock-step TFTP at curl's cost.
    {
      'target_name': 'udp_sync',
      'sources': ['native/udp_sync.c'],
      'cflags': ['-Wall', '-Wextra', '-Wno-unused-parameter'],
    },
  ],
}
