package gb28181

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// onAlarm pushes a device alarm (msgType 1) and acknowledges it with a Response/Alarm, as
// GB/T 28181 9.4 asks of the platform.
func (s *Server) onAlarm(ctx context.Context, id string, msg *manscdp.Message, now time.Time) {
	var n manscdp.AlarmNotify
	if err := msg.Into(&n); err != nil {
		s.log.Warn("alarm", "deviceSn", id, "err", err)
		return
	}
	method, _ := strconv.Atoi(strings.TrimSpace(n.AlarmMethod))
	priority, _ := strconv.Atoi(strings.TrimSpace(n.AlarmPriority))
	alarmType := 0
	if n.Info != nil {
		alarmType = n.Info.AlarmType
	}
	at := now
	if t, err := manscdp.ParseTime(n.AlarmTime, s.cfg.Location); err == nil {
		at = t
	}
	al := domain.Alarm{
		DeviceSn: id, AlarmType: AlarmCode(method, alarmType), Time: at, Description: n.AlarmDescription,
		Priority: priority, Action: "start", AlarmID: fmt.Sprintf("%s-%d", n.DeviceID, n.SN),
	}
	if n.DeviceID != id {
		al.ChannelSn = n.DeviceID
	}
	if err := s.sink.DeviceAlarm(ctx, al); err != nil {
		s.log.Warn("recording alarm", "deviceSn", id, "err", err)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
		defer cancel()
		if err := s.send(ctx, id, manscdp.NewAlarmResponse(n.SN, n.DeviceID)); err != nil {
			s.log.Debug("alarm response", "deviceSn", id, "err", err)
		}
	}()
}

// AlarmCode maps a GB/T 28181 alarm (AlarmMethod, Info/AlarmType) onto the spec's 5.2 list.
// Method 2 is a device alarm, 5 a video alarm, 6 a device fault (GB/T 28181-2016 A.2.6);
// anything without a 5.2 counterpart is 600 (其他视频告警).
func AlarmCode(method, alarmType int) int {
	switch method {
	case 2:
		switch alarmType {
		case 1:
			return 501 // 视频丢失
		case 3:
			return 502 // 存储设备磁盘满
		case 4:
			return 503 // 设备高温
		case 5:
			return 504 // 设备低温
		}
	case 5:
		if code, ok := videoAlarms[alarmType]; ok {
			return code
		}
	case 6:
		switch alarmType {
		case 1:
			return 514 // 存储设备磁盘故障
		case 2:
			return 515 // 存储设备风扇故障
		}
	}
	return 600
}

// videoAlarms maps video-alarm types (method 5) to 5.2 ids.
var videoAlarms = map[int]int{
	1:  505, // 人工视频报警
	2:  1,   // 运动目标检测 → 动态检测事件
	3:  506, // 遗留物检测
	4:  507, // 物体移除检测
	5:  508, // 绊线检测
	6:  62,  // 入侵检测 → 区域入侵事件
	7:  509, // 逆行检测
	8:  14,  // 徘徊检测 → 徘徊事件
	9:  510, // 流量统计
	10: 511, // 密度检测
	11: 512, // 视频异常检测
	12: 513, // 快速移动
}
