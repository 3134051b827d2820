package northbound

import (
	"encoding/json"
	"net/http"

	"github.com/vionet/vionet/internal/domain"
)

// envelope is 4.3.1's 响应报文 (表A-3), field order as in the spec's example.
type envelope struct {
	ResultCode string `json:"resultCode"`
	ResultMsg  string `json:"resultMsg"`
	Total      *int   `json:"total,omitempty"`
	Page       *int   `json:"page,omitempty"`
	PageSize   *int   `json:"pageSize,omitempty"`
	Data       any    `json:"data,omitempty"`
}

// List is a handler result for paged list endpoints: Items go to data, the paging numbers
// to the envelope.
type List struct {
	Items    any
	Total    int
	Page     int
	PageSize int
}

// writeResult writes a handler's result or error as an envelope with HTTP 200, and returns
// the resultCode written.
func writeResult(w http.ResponseWriter, result any, err error) domain.Code {
	env := envelope{ResultCode: string(domain.CodeOK), ResultMsg: domain.CodeOK.Description()}
	if err != nil {
		code := domain.CodeOf(err)
		env.ResultCode = string(code)
		env.ResultMsg = code.Description()
		if e, ok := err.(*domain.Error); ok && e.Msg != "" {
			env.ResultMsg += ": " + e.Msg
		}
	} else if l, ok := result.(List); ok {
		env.Total, env.Page, env.PageSize = &l.Total, &l.Page, &l.PageSize
		env.Data = l.Items
	} else {
		env.Data = result
	}
	writeEnvelope(w, http.StatusOK, env)
	return domain.Code(env.ResultCode)
}

func writeEnvelope(w http.ResponseWriter, status int, env envelope) {
	body, err := json.Marshal(env)
	if err != nil {
		body = []byte(`{"resultCode":"000001","resultMsg":"服务器内部错误: response encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
