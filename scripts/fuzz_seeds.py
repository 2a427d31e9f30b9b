#!/usr/bin/env python3
"""Seeds a libFuzzer corpus for scripts/fuzz.sh: fuzz_seeds.py TARGET DIR.

Small valid inputs of each reader's format (numpy/scipy files, corpus slices from corpora/,
XML in the presets' shapes, gzip/bzip2 streams), so the fuzzer starts inside the format."""
import bz2, gzip, io, os, sys, zipfile

target, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def put(name, data):
    with open(os.path.join(out, 'seed-' + name), 'wb') as f:
        f.write(data)


def corpus_slices(count=8, size=2048):
    """Slices of the fetched corpora (corpora/data), plus a few hand-written texts."""
    texts = [b'In the beginning God created the heaven and the earth.\nAnd the earth was without form.\n',
             'naïve café — 日本語のテキスト。 Ünïcödé\r\nline two\t tab\n'.encode(),
             b'\xef\xbb\xbfBOM text\n', 'utf16 text\n'.encode('utf-16')]
    data = os.path.join(root, 'corpora', 'data')
    for name in sorted(os.listdir(data)) if os.path.isdir(data) else []:
        path = os.path.join(data, name)
        if os.path.isfile(path):
            with open(path, 'rb') as f:
                for k in range(count):
                    f.seek(k * 1_000_003)
                    piece = f.read(size)
                    if piece:
                        texts.append(piece)
    return texts


if target == 'npy':
    import numpy as np
    arrays = [np.arange(6, dtype='<f8').reshape(2, 3), np.array([1, -2, 3], '>i4'), np.array(['a', 'bc']),
              np.array([b'x', b'yz']), np.zeros((2, 2), '<u2', order='F'), np.array(True), np.array([1.5], '<f4'),
              np.zeros((0, 3)), np.arange(4, dtype='<i8')]
    for i, a in enumerate(arrays):
        b = io.BytesIO(); np.save(b, a); put(f'{i}.npy', b.getvalue())
elif target == 'npz':
    import numpy as np, scipy.sparse as sp
    dense = np.array([[0, 2, 0, 1], [0, 0, 0, 0], [3, 0, 5, 0]])
    for i, (fmt, comp) in enumerate([(f, c) for f in ('csr', 'csc', 'coo') for c in (False, True)]):
        b = io.BytesIO(); sp.save_npz(b, sp.csr_matrix(dense).asformat(fmt), compressed=comp); put(f'{i}.npz', b.getvalue())
    b = io.BytesIO()
    np.savez(b, indices=np.array([1, 3, 0, 2], 'i4'), indptr=np.array([0, 2, 2, 4], 'i4'), format=np.array(b'csr'),
             shape=np.array([3, 4]), data=np.array([2, 1, 3, 5]), vocab=np.array(['<s>', 'a', 'b', 'c']),
             contexts=np.array([[0], [1], [3]], 'i4'), options=np.array('{"order": 2}'), format_version=np.array(2))
    put('full.npz', b.getvalue())
    b = io.BytesIO()
    np.savez(b, indices=np.array([1], 'i4'), indptr=np.array([0, 1], 'i4'), format=np.array(b'csr'), shape=np.array([1, 2]),
             data=np.array([1.5]), vocab_utf8=np.frombuffer('aé'.encode(), 'u1'), vocab_offsets=np.array([0, 1, 3]))
    put('utf8.npz', b.getvalue())
elif target in ('text', 'ingest'):
    for i, t in enumerate(corpus_slices()):
        for selector in (0, 1, 0x4a, 0x83):
            put(f'{i}-{selector}.txt', bytes([selector]) + t)
elif target == 'xml':
    docs = [b'<?xml version="1.0"?><osis><verse>In the beginning</verse><note>x</note><verse>God &amp; man</verse></osis>',
            b'<mediawiki><page><text xml:space="preserve">Some [[wiki]] text &lt;b&gt;</text></page></mediawiki>',
            b'<!DOCTYPE d [<!ENTITY e "entity text">]><TEI><text><p>a &e; b</p><p>c<hi>d</hi>e</p></text></TEI>',
            '<?xml version="1.0" encoding="UTF-16"?><p>utf sixteen</p>'.encode('utf-16'),
            b'<?xml version="1.0" encoding="ISO-8859-1"?><p>caf\xe9</p>', b'<p><![CDATA[raw <text>]]></p>']
    for i, d in enumerate(docs):
        put(f'{i}.xml', bytes([len(d) // 2]) + d)
elif target == 'stream':
    for i, t in enumerate(corpus_slices(count=3, size=1024)[:8]):
        put(f'{i}.gz', gzip.compress(t, mtime=0)); put(f'{i}.bz2', bz2.compress(t)); put(f'{i}.txt', t)
    put('multi.gz', gzip.compress(b'one\n', mtime=0) + gzip.compress(b'two\n', mtime=0))
else:
    sys.exit(f'unknown fuzz target {target!r} (npy, npz, text, ingest, xml, stream)')
