"""The texts the reporter receives when the portal rejects a report."""
REJECT_REASONS = {
    "spam": "Phản ánh không hợp lệ (tin rác, quảng cáo hoặc nội dung không phù hợp).",
    "duplicate": "Phản ánh trùng với một phản ánh đã được tiếp nhận",
    "not_field_report": "Nội dung không phải là phản ánh hiện trường; vui lòng liên hệ cơ quan có thẩm quyền theo quy định.",
    "insufficient_info": "Phản ánh chưa đủ thông tin để xử lý; vui lòng gửi lại với mô tả, địa điểm hoặc hình ảnh cụ thể hơn.",
}


def rejection_reply(reason, duplicate_of=None) -> str:
    """Tell the reporter why the report was not taken up, in Vietnamese."""
    text = REJECT_REASONS.get(reason or "", "Phản ánh không được tiếp nhận.")
    if reason == "duplicate":
        text += f" (mã {duplicate_of})." if duplicate_of else "."
    return "Cổng Thông tin điện tử tỉnh Cà Mau không tiếp nhận phản ánh này. " + text
