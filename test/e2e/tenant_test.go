package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk"
)

// Operators manage tenants with the CLI while the server runs; the server follows.
func TestTenantCLIWhileServing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, "--tenant-cache-ttl", "200ms")
		cx := ctx(t)

		// A tenant that brings its own key (PEM file).
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
		keyFile := filepath.Join(t.TempDir(), "pub.pem")
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
		own := s.addTenant("--appid", "acme-01", "--secret", "s3cret-acme", "--public-key", keyFile)
		if own.AppID != "acme-01" || own.SecretKey != "s3cret-acme" || own.PrivateKey != "" {
			t.Fatalf("tenant add with own key: %+v", own)
		}
		d, err := s.client(own).AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
		if err != nil {
			t.Fatal(err)
		}
		priv, _ := x509.MarshalPKCS8PrivateKey(key)
		if _, err := sdk.DecryptSecret(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})), d.LoginPwd); err != nil {
			t.Errorf("loginPwd with the tenant's own key: %v", err)
		}
		if _, err := s.cli("tenant", "add", "--appid", "acme-01"); err == nil {
			t.Errorf("duplicate appid accepted")
		}

		// list shows it.
		out, err := s.cli("tenant", "list")
		if err != nil || !strings.Contains(out, `"acme-01"`) {
			t.Fatalf("tenant list: %v %s", err, out)
		}

		// rotate-secret: the old secret stops working, the new one works, without a restart.
		out, err = s.cli("tenant", "rotate-secret", "acme-01")
		if err != nil {
			t.Fatal(err)
		}
		var rotated struct{ Secretkey string }
		json.Unmarshal([]byte(out), &rotated)
		if rotated.Secretkey == "" || rotated.Secretkey == own.SecretKey {
			t.Fatalf("rotate-secret output %q", out)
		}
		eventually(t, 5*time.Second, "old secret refused", func() bool {
			_, _, err := s.client(own).ListDevices(cx, 1, 10)
			return sdk.IsCode(err, "000004")
		})
		own.SecretKey = rotated.Secretkey
		if _, _, err := s.client(own).ListDevices(cx, 1, 10); err != nil {
			t.Fatalf("new secret: %v", err)
		}

		// rm: the tenant is gone.
		if _, err := s.cli("tenant", "rm", "acme-01"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "removed tenant refused", func() bool {
			_, _, err := s.client(own).ListDevices(cx, 1, 10)
			return sdk.IsCode(err, "000004")
		})
		if _, err := s.cli("tenant", "rm", "acme-01"); err == nil {
			t.Errorf("removing a missing tenant succeeded")
		}
	})
}

func TestOperationsEndpoints(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		resp, err := http.Get(s.url() + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		resp.Body.Close()
		k := s.addTenant()
		s.client(k).ListDevices(ctx(t), 1, 10)
		m := s.metrics(t)
		for _, want := range []string{
			`vionet_api_requests_total{code="000000",path="GET /cmiot/v2/api/device/list"} 1`,
			`vionet_api_request_duration_seconds_bucket{path="GET /cmiot/v2/api/device/list"`,
			`vionet_push_queue_depth`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// The access log is JSON with appid, msgSeq, path, code and latency.
		eventually(t, 5*time.Second, "access log line", func() bool {
			for _, l := range strings.Split(s.logs.String(), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "api" && rec["appid"] == k.AppID &&
					rec["path"] == "/cmiot/v2/api/device/list" && rec["code"] == "000000" && rec["msgSeq"] != "" && rec["ms"] != nil {
					return true
				}
			}
			return false
		})
		out, err := s.cli("version")
		if err != nil || !strings.HasPrefix(out, "vionet ") {
			t.Errorf("version: %q %v", out, err)
		}
	})
}
