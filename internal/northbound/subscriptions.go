package northbound

import "context"

// 4.7.1 message subscription.
func (s *Server) subscriptionRoutes(m map[string]handlerFunc) {
	m["POST /cmiot/v2/api/msg/subscribe"] = s.subscribe
	m["POST /cmiot/v2/api/msg/unsubscribe"] = s.unsubscribe
}

// 4.7.1.1
func (s *Server) subscribe(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	url := d.String("url", Required)
	typ := d.Int("type", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.Subscribe(ctx, c.Tenant.AppID, url, typ)
}

// 4.7.1.2
func (s *Server) unsubscribe(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	typ := d.Int("type", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.Unsubscribe(ctx, c.Tenant.AppID, typ)
}
