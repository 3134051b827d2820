package playback

import (
	"context"
	"os"
)

// fileCache keeps the segment files an export reads payloads from. The mdat
// is written in presentation order, which walks the segments in order, with
// audio and video briefly alternating at a boundary, so two open files are
// enough.
type fileCache struct {
	ctx   context.Context // checked every few samples while writing
	reads int
	segs  []Segment
	open  [2]cachedFile
	buf   []byte // payload buffer, reused: the MP4 writer copies it out at once
	err   error
}

type cachedFile struct {
	idx int
	f   *os.File
}

// sampleLoc is where one exported sample's payload lives.
type sampleLoc struct {
	c    *fileCache
	idx  int // segment index
	off  int64
	size int64
}

func (c *fileCache) ref(idx int, r sampleRef) sampleLoc {
	return sampleLoc{c: c, idx: idx, off: r.off, size: r.size}
}

// read returns the payload; the slice is valid until the next read.
func (l sampleLoc) read() ([]byte, error) {
	if l.c.reads++; l.c.reads%64 == 0 {
		if err := l.c.ctx.Err(); err != nil {
			return nil, err
		}
	}
	f, err := l.c.file(l.idx)
	if err != nil {
		return nil, err
	}
	if int64(cap(l.c.buf)) < l.size {
		l.c.buf = make([]byte, l.size)
	}
	b := l.c.buf[:l.size]
	if _, err := f.ReadAt(b, l.off); err != nil {
		return nil, err
	}
	return b, nil
}

func (c *fileCache) file(idx int) (*os.File, error) {
	for _, o := range c.open {
		if o.f != nil && o.idx == idx {
			return o.f, nil
		}
	}
	f, err := os.Open(c.segs[idx].Path)
	if err != nil {
		return nil, err
	}
	if c.open[1].f != nil {
		c.open[1].f.Close()
	}
	c.open[1] = c.open[0]
	c.open[0] = cachedFile{idx: idx, f: f}
	return f, nil
}

func (c *fileCache) close() {
	for i, o := range c.open {
		if o.f != nil {
			o.f.Close()
		}
		c.open[i] = cachedFile{}
	}
}
