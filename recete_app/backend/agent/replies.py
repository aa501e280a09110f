"""The agent's fixed replies, in English and Turkish: escalations, refusals, small talk, and the
order-status answer built from the customer's own order (no model needed, nothing to invent)."""

from __future__ import annotations

from datetime import datetime

from recete_app.backend.agent.context import OrderFacts

_REPLIES: dict[str, dict[str, str]] = {
    "adverse_reaction": {
        "en": "I'm so sorry to hear that. Please stop using the product now and gently rinse "
        "the area with cool water. If you notice swelling, trouble breathing, or it keeps "
        "getting worse, please get medical help right away. I've flagged this to our team as "
        "urgent and a person will contact you here shortly.",
        "tr": "Bunu duyduğumuza çok üzüldük. Lütfen ürünü kullanmayı hemen bırakın ve bölgeyi "
        "serin suyla nazikçe durulayın. Şişlik, nefes almada güçlük olursa ya da durum "
        "kötüleşirse lütfen hemen bir sağlık kuruluşuna başvurun. Durumu ekibimize acil olarak "
        "ilettim; bir yetkilimiz kısa süre içinde buradan size ulaşacak.",
    },
    "complaint": {
        "en": "I'm sorry about this. I've passed it to our team and a person will get back to "
        "you here as soon as possible.",
        "tr": "Yaşadığınız sorun için çok üzgünüz. Konuyu ekibimize ilettim; bir yetkilimiz en "
        "kısa sürede buradan size dönecek.",
    },
    "return_refund": {
        "en": "I've passed your request to our team: a person will help you with the return "
        "or refund here shortly.",
        "tr": "Talebinizi ekibimize ilettim; iade ya da değişim için bir yetkilimiz kısa süre "
        "içinde buradan size yardımcı olacak.",
    },
    "human": {
        "en": "Of course. I've asked a person from our team to take over: they will reply here "
        "as soon as they can.",
        "tr": "Elbette. Ekibimizden bir yetkiliye ilettim; en kısa sürede buradan size yazacak.",
    },
    "no_knowledge": {
        "en": "I don't have that information in our product details and I don't want to guess. "
        "I've asked a person from our team to answer you here.",
        "tr": "Bu bilgi ürün açıklamalarımızda yer almıyor ve tahminde bulunmak istemem. "
        "Ekibimizden bir yetkilinin buradan size yanıt vermesini istedim.",
    },
    "safe_fallback": {
        "en": "I want to be sure you get the right answer, so a person from our team will reply "
        "to you here shortly.",
        "tr": "Doğru yanıtı aldığınızdan emin olmak istiyorum; ekibimizden bir yetkili kısa süre "
        "içinde buradan size yanıt verecek.",
    },
    "dissatisfied": {
        "en": "I'm sorry I couldn't help. I've asked a person from our team to take over here.",
        "tr": "Yardımcı olamadığım için üzgünüm. Ekibimizden bir yetkilinin devralmasını istedim.",
    },
    "injection": {
        "en": "I can only help with your orders and our products. What would you like to know "
        "about them?",
        "tr": "Yalnızca siparişleriniz ve ürünlerimizle ilgili yardımcı olabilirim. Bunlarla "
        "ilgili neyi merak ediyorsunuz?",
    },
    "other_customers": {
        "en": "I can't share anything about other customers. I'm happy to help with your own "
        "orders and our products.",
        "tr": "Diğer müşterilerimizle ilgili bilgi paylaşamıyorum. Kendi siparişleriniz ve "
        "ürünlerimizle ilgili memnuniyetle yardımcı olurum.",
    },
    "price_change": {
        "en": "I can't change prices or create discounts. If you have a question about your "
        "order or our products, I'm happy to help.",
        "tr": "Fiyatları değiştiremiyor ya da indirim tanımlayamıyorum. Siparişiniz veya "
        "ürünlerimizle ilgili bir sorunuz varsa memnuniyetle yardımcı olurum.",
    },
    "other": {
        "en": "I'm {store}'s assistant: I can help with your orders and with using our "
        "products. What would you like to know?",
        "tr": "{store} asistanıyım: siparişleriniz ve ürünlerimizin kullanımıyla ilgili "
        "yardımcı olabilirim. Neyi merak ediyorsunuz?",
    },
    "about_me": {
        "en": "I'm {store}'s automated assistant. I can answer questions about your order and "
        "our products, and if you'd like a person, just say so and I'll hand you over.",
        "tr": "{store} adına yanıt veren otomatik asistanım. Siparişiniz ve ürünlerimizle ilgili "
        "sorularınızı yanıtlayabilirim; bir yetkiliyle görüşmek isterseniz yazmanız yeterli.",
    },
    "thanks": {
        "en": "You're welcome! If anything comes up with your products, just write here.",
        "tr": "Rica ederiz! Ürünlerinizle ilgili bir sorunuz olursa buraya yazmanız yeterli.",
    },
}

_MONTHS_TR = [
    "Ocak",
    "Şubat",
    "Mart",
    "Nisan",
    "Mayıs",
    "Haziran",
    "Temmuz",
    "Ağustos",
    "Eylül",
    "Ekim",
    "Kasım",
    "Aralık",
]


def fixed_reply(name: str, language: str, store: str = "") -> str:
    texts = _REPLIES[name]
    return texts.get(language, texts["en"]).format(store=store)


def day(when: datetime, language: str) -> str:
    if language == "tr":
        return f"{when.day} {_MONTHS_TR[when.month - 1]}"
    return f"{when.day} {when.strftime('%B')}"


def order_status(order: OrderFacts, language: str) -> str:
    """Where the order is, from the order itself."""
    tr = language == "tr"
    name = order.name or ("siparişiniz" if tr else "your order")
    if order.cancelled_at is not None:
        when = day(order.cancelled_at, language)
        return (
            f"{name} {when} tarihinde iptal edildi." if tr else f"{name} was cancelled on {when}."
        )
    if order.refunded_at is not None:
        when = day(order.refunded_at, language)
        return (
            f"{name} için {when} tarihinde iade yapıldı."
            if tr
            else (f"{name} was refunded on {when}.")
        )
    if order.delivered_at is not None and not order.delivery_estimated:
        when = day(order.delivered_at, language)
        return (
            f"{name} {when} tarihinde teslim edildi."
            if tr
            else (f"Your order {name} was delivered on {when}.")
        )
    if order.fulfilled_at is not None:
        shipped = day(order.fulfilled_at, language)
        if order.delivered_at is not None:
            expected = day(order.delivered_at, language)
            return (
                f"{name} {shipped} tarihinde kargoya verildi; tahmini teslim {expected}."
                if tr
                else f"Your order {name} was shipped on {shipped} and should arrive around "
                f"{expected}."
            )
        return (
            f"{name} {shipped} tarihinde kargoya verildi."
            if tr
            else (f"Your order {name} was shipped on {shipped}.")
        )
    return (
        f"{name} hazırlanıyor, henüz kargoya verilmedi."
        if tr
        else (f"Your order {name} is being prepared and has not shipped yet.")
    )
