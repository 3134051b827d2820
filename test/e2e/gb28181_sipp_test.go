package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk"
)

// sipp (Debian's sip-tester) registers with digest and sends keepalives, as a device would;
// vionet shows it online, with its address, and offline once the keepalives stop.
func TestSippRegisterAndKeepalive(t *testing.T) {
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Fatal("sipp not installed (scripts/test.sh installs sip-tester)")
	}
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, "--sip-keepalive-interval", "1s", "--sip-keepalive-misses", "3", "--sip-request-timeout", "1s")
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		rcv := newReceiver(t, k, "")
		if err := c.Subscribe(cx, "http://"+rcv.addr+"/push", sdk.MsgOnline); err != nil {
			t.Fatal(err)
		}
		for _, transport := range []string{"u1", "t1"} {
			d, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
			if err != nil {
				t.Fatal(err)
			}
			pwd, err := sdk.DecryptSecret(k.PrivateKey, d.LoginPwd)
			if err != nil {
				t.Fatal(err)
			}
			scenario, _ := filepath.Abs("../sipp/register-keepalive.xml")
			// -key must precede -sf: sipp reads the scenario when it meets -sf.
			cmd := exec.Command("sipp", "-key", "domain", "3402000000", "-sf", scenario, "-s", d.DeviceSn,
				"-au", d.DeviceSn, "-ap", pwd, "-t", transport, "-i", "127.0.0.1", "-m", "1", "-timeout", "20s",
				"-timeout_error", "-nostdin", "-trace_err", "-error_file", filepath.Join(t.TempDir(), "sipp.err"), s.sipAddr)
			cmd.Dir = t.TempDir()
			done := make(chan error, 1)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()

			eventually(t, 10*time.Second, transport+": device online", func() bool {
				det, err := c.GetDevice(cx, d.DeviceSn)
				return err == nil && det.OnlineStatus == 1
			})
			ip, err := c.GetDeviceIP(cx, d.DeviceSn)
			if err != nil || ip.IP != "127.0.0.1" || ip.Port == "" || ip.Port == "0" {
				t.Errorf("%s: device IP %+v %v", transport, ip, err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: sipp failed: %v\n%s", transport, err, out.String())
				}
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%s: sipp did not finish", transport)
			}
			// Keepalives stop with sipp: offline within 3 × 1 s (plus the 1 s sweep).
			eventually(t, 8*time.Second, transport+": device offline", func() bool {
				det, err := c.GetDevice(cx, d.DeviceSn)
				return err == nil && det.OnlineStatus == 0
			})
			eventually(t, 5*time.Second, transport+": online and offline pushes", func() bool {
				on, off := 0, 0
				for _, m := range rcv.onlineMsgs(t) {
					if m.DeviceSn == d.DeviceSn && m.ChannelID == nil {
						if m.OnlineType == 1 {
							on++
						} else {
							off++
						}
					}
				}
				return on == 1 && off == 1
			})
		}
	})
}

// A flood of REGISTERs from codes vionet never issued: each gets 403 at once and is counted.
func TestSippUnknownDeviceFlood(t *testing.T) {
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Fatal("sipp not installed (scripts/test.sh installs sip-tester)")
	}
	s := startServer(t, engines(t)[0])
	ids := filepath.Join(t.TempDir(), "ids.csv")
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "34020000001329%06d\n", i)
	}
	if err := os.WriteFile(ids, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	scenario, _ := filepath.Abs("../sipp/register-unknown.xml")
	cmd := exec.Command("sipp", "-sf", scenario, "-inf", ids, "-r", "1000", "-m", "2000", "-i", "127.0.0.1",
		"-timeout", "30s", "-timeout_error", "-nostdin", s.sipAddr)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	if m := s.metrics(t); !strings.Contains(m, `vionet_gb28181_registers_total{result="unknown_device"} 2000`) {
		t.Errorf("unknown devices not counted:\n%s", grepLines(m, "vionet_gb28181_registers_total"))
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
