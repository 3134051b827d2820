package store

import (
	"strings"
	"testing"
)

func TestDeviceColumnsAliasInStep(t *testing.T) {
	plain := strings.Fields(strings.ReplaceAll(deviceColumns, ",", " "))
	aliased := strings.Fields(strings.ReplaceAll(deviceColumnsD, ",", " "))
	if len(plain) != len(aliased) {
		t.Fatalf("%d vs %d columns", len(plain), len(aliased))
	}
	for i := range plain {
		if "d."+plain[i] != aliased[i] {
			t.Errorf("column %d: %s vs %s", i, plain[i], aliased[i])
		}
	}
}
