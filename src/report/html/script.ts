/**
 * The page's only script: filters, search and pagination over the embedded device list. It
 * inserts the verdict and detail fragments the renderers already escaped; text typed by the user
 * is only compared, never inserted.
 */
export const PAGE_SCRIPT = `(function () {
  var block = document.getElementById('data');
  if (block.type === 'application/gzip+base64') {
    // A large report: inflate the gzip'd device data in the browser (no library, no network).
    var bin = atob(block.textContent), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    document.getElementById('count').textContent = 'loading devices…';
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text()
      .then(function (text) { start(JSON.parse(text)); })
      .catch(function (e) { document.getElementById('count').textContent = 'this browser cannot read the compressed device list: ' + e; });
  } else start(JSON.parse(block.textContent));

function start(data) {
  var all = data.devices, size = data.pageSize, page = 0, list = all;
  var $ = function (id) { return document.getElementById(id); };
  function matches(d) {
    var o = $('f-outcome').value, v = $('f-vendor').value;
    var m = $('f-mac').value.trim().toLowerCase(), q = $('f-q').value.trim().toLowerCase();
    return (!o || d.o === o) && (!v || d.v === v) && (!m || d.m.indexOf(m) >= 0) && (!q || d.s.indexOf(q) >= 0 || d.m.indexOf(q) >= 0);
  }
  function pager() {
    var pages = Math.max(1, Math.ceil(list.length / size));
    var html = list.length <= size ? '' : '<button data-p="' + (page - 1) + '"' + (page === 0 ? ' disabled' : '') + '>‹ previous</button> page ' + (page + 1) + ' of ' + pages +
      ' <button data-p="' + (page + 1) + '"' + (page >= pages - 1 ? ' disabled' : '') + '>next ›</button>';
    document.querySelectorAll('.pager').forEach(function (n) { n.innerHTML = html; });
  }
  function render() {
    var shown = list.slice(page * size, page * size + size);
    // Few devices: all open; a short list of failures: those open.
    var failed = shown.filter(function (d) { return d.o === 'failed'; }).length;
    $('devices').innerHTML = shown.map(function (d) {
      return '<details class="device o-' + d.o + '"' + (shown.length <= 3 || (d.o === 'failed' && failed <= 10) ? ' open' : '') + '><summary><span class="badge">' + d.o + '</span> <span class="verdict">' + d.h + '</span></summary><div class="detail">' + d.d + '</div></details>';
    }).join('');
    $('count').textContent = list.length + ' of ' + all.length + ' device' + (all.length === 1 ? '' : 's');
    pager();
  }
  var FIELDS = { outcome: 'f-outcome', vendor: 'f-vendor', mac: 'f-mac', q: 'f-q' };
  // The filters live in the URL fragment (#outcome=failed&q=tftp), so a filtered view can be shared.
  function toHash() {
    var parts = [];
    Object.keys(FIELDS).forEach(function (k) { var v = $(FIELDS[k]).value; if (v) parts.push(k + '=' + encodeURIComponent(v)); });
    history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search);
  }
  function fromHash() {
    location.hash.slice(1).split('&').forEach(function (kv) {
      var i = kv.indexOf('='), k = kv.slice(0, i), id = FIELDS.hasOwnProperty(k) ? FIELDS[k] : null;
      if (id && i > 0) { try { $(id).value = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* a malformed fragment is ignored */ } }
    });
  }
  function refilter() { list = all.filter(matches); page = 0; render(); }
  Object.keys(FIELDS).forEach(function (k) { $(FIELDS[k]).addEventListener('input', function () { toHash(); refilter(); }); });
  fromHash();
  list = all.filter(matches);
  document.addEventListener('click', function (e) {
    var p = e.target && e.target.getAttribute && e.target.getAttribute('data-p');
    if (p !== null && p !== undefined && !e.target.disabled) { page = Number(p); render(); window.scrollTo(0, $('devices').offsetTop - 80); }
    var openAll = e.target && e.target.getAttribute && e.target.getAttribute('data-open');
    if (openAll) document.querySelectorAll('#devices details').forEach(function (d) { d.open = openAll === '1'; });
  });
  render();
}
})();`;
