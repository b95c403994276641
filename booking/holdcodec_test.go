package booking

import (
	"encoding/json"
	"testing"
	"time"
)

// A hold's short form under its day and its limits' keys reads back as
// written; one stored before as JSON still reads.
func TestHoldEncodingRoundTrips(t *testing.T) {
	until := time.Date(2026, 12, 2, 10, 15, 0, 123, time.UTC)
	for _, h := range []hold{
		{From: 8 * 60, To: 8*60 + 45, Counters: 1<<63 | 5, Staff: true, Until: until},
		{From: 0, To: 24 * 60, Until: until},
	} {
		got, err := decodeHold(h.encode())
		if err != nil || got.From != h.From || got.To != h.To || got.Counters != h.Counters || got.Staff != h.Staff || !got.Until.Equal(h.Until) {
			t.Errorf("%+v read back as %+v (%v)", h, got, err)
		}
		old, _ := json.Marshal(h)
		if got, err := decodeHold(old); err != nil || got.From != h.From || !got.Until.Equal(h.Until) {
			t.Errorf("JSON %s read as %+v (%v)", old, got, err)
		}
	}
	if _, err := decodeHold([]byte("garbage")); err == nil {
		t.Error("garbage read as a hold")
	}
}
