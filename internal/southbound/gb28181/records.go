package gb28181

import (
	"context"
	"fmt"
	"strings"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// QueryRecords asks a device for the recordings of target (the device itself or one of its
// channels) that overlap q's time range, and returns them once every part of the
// (multi-part) RecordInfo answer arrived.
func (s *Server) QueryRecords(ctx context.Context, deviceSn string, q domain.RecordQuery) ([]domain.DeviceRecord, error) {
	target := q.Target
	if target == "" {
		target = deviceSn
	}
	sn := s.nextSN()
	body := manscdp.NewRecordInfoQuery(sn, target, q.Start, q.End, s.cfg.Location)
	if q.AlarmOnly {
		body.Type = "alarm"
	}
	answer, err := s.query(ctx, deviceSn, "RecordInfo", sn, body)
	if err != nil {
		return nil, err
	}
	a, ok := answer.(*assembly[manscdp.RecordItem])
	if !ok {
		return nil, fmt.Errorf("%w: RecordInfo", ErrNoAnswer)
	}
	out := make([]domain.DeviceRecord, 0, len(a.items))
	for _, it := range a.items {
		start, end, err := it.Times(s.cfg.Location)
		if err != nil || !end.After(start) {
			continue // an item without usable times cannot be played or listed
		}
		alarm := strings.EqualFold(it.Type, "alarm")
		if q.AlarmOnly != alarm && !(q.AlarmOnly && it.Type == "") {
			continue
		}
		out = append(out, domain.DeviceRecord{
			ChannelSn: it.DeviceID, Start: start, End: end, Alarm: alarm, Name: it.Name, FilePath: it.FilePath, Size: it.FileSize,
		})
	}
	return out, nil
}

// recordItemID identifies a record item within one answer (devices resend parts on loss).
func recordItemID(it manscdp.RecordItem) string {
	return it.DeviceID + "|" + it.StartTime + "|" + it.EndTime + "|" + it.FilePath
}
