package signing

import "testing"

// The spec's own example values (4.3.1): secretkey, appid, timestamp, uri and md5.
func TestRequestStringMatchesSpecExample(t *testing.T) {
	got := RequestString("o5lgnzm3kvfaboq0", "4c8n2wqgyg04blsmeirin7dms1scvp11", "1676529849700",
		"/cmiot/v2/api/camera/list", "f89c88f2fe8806eb532d7e7d7ecb8c3d")
	want := "o5lgnzm3kvfaboq0,4c8n2wqgyg04blsmeirin7dms1scvp11,1676529849700,/cmiot/v2/api/camera/list,f89c88f2fe8806eb532d7e7d7ecb8c3d"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// Vector computed independently with Python: base64(hmac.new(k, msg, sha256).digest()).
func TestRequestKnownVector(t *testing.T) {
	got := Request("o5lgnzm3kvfaboq0", "4c8n2wqgyg04blsmeirin7dms1scvp11", "1676529849700",
		"/cmiot/v2/api/camera/list", "f89c88f2fe8806eb532d7e7d7ecb8c3d")
	if got != requestVector {
		t.Fatalf("got %s want %s", got, requestVector)
	}
}

func TestMD5HexEmpty(t *testing.T) {
	if got := MD5Hex(nil); got != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Fatal(got)
	}
}

func TestPushDiffersFromRequest(t *testing.T) {
	body := []byte(`{"appId":"a","msgType":3,"data":[]}`)
	if Push("s", "a", "1", body) == Request("s", "a", "1", "", MD5Hex(body)) {
		t.Fatal("push and request signatures must differ (push has no uri part)")
	}
	if !Equal(Push("s", "a", "1", body), Push("s", "a", "1", body)) {
		t.Fatal("push signature not deterministic")
	}
}

const requestVector = "amMqSS72fO7vFOlxmDWuIoqOZWz1OUSWjjdRuq09jBs="
