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
  ],
}
