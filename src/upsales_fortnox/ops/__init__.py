"""Operations: installation health, metrics, alerts and operators' bulk actions."""
