//! Word lists and message texts for the generator: Latin, Hebrew, Arabic, CJK and emoji.

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Priya", "Dana", "Marcus", "Elena", "Tomás", "Aisha", "Liam", "Sofia", "Kenji", "Noa", "Omar",
    "Chloé", "Yuki", "Mateo", "Ingrid", "Ravi", "Zara", "Jonas", "Amara", "Felix",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Nandakumar",
    "Whitfield",
    "Okafor",
    "Petrova",
    "García",
    "Rahman",
    "O'Connor",
    "Rossi",
    "Tanaka",
    "Levi",
    "Haddad",
    "Dubois",
    "Sato",
    "Fernández",
    "Larsen",
    "Iyer",
    "Khan",
    "Becker",
    "Mensah",
    "Novak",
];
/// Names in non-Latin scripts (Hebrew, Arabic, Chinese, Japanese, Korean).
pub(crate) const NON_LATIN_NAMES: &[&str] = &[
    "נועה כהן",
    "יוסי לוי",
    "محمد الحسن",
    "فاطمة الزهراء",
    "王小明",
    "李娜",
    "佐藤花子",
    "김민준",
];

pub(crate) const CUSTOMER_LINES: &[&str] = &[
    "Hi, I think I was charged twice for my last invoice.",
    "My order hasn't arrived yet, can you check the status?",
    "How do I change the delivery address on my order?",
    "The app crashes when I try to upload a photo.",
    "Can I get a refund for the damaged item?",
    "Is there a discount for annual plans?",
    "I can't log in, the reset e-mail never arrives.",
    "Thanks, that solved it!",
    "שלום, ההזמנה שלי עדיין לא הגיעה. אפשר לבדוק?",
    "תודה רבה על העזרה! 🙏",
    "مرحبا، لم أستلم طلبي بعد. هل يمكنك المساعدة؟",
    "شكرا جزيلا 🌟",
    "你好，我的订单什么时候发货？",
    "请问可以开发票吗？谢谢！",
    "注文した商品がまだ届いていません。",
    "Great service 👍🎉 — will recommend!",
    "Here's a screenshot of the error 📎",
];

pub(crate) const AGENT_LINES: &[&str] = &[
    "Hello! Thanks for reaching out, let me check that for you.",
    "I've issued a refund; it should appear within 5 business days.",
    "Could you send me your order number, please?",
    "I've updated the address on your order.",
    "Our team is looking into the crash; a fix ships next week.",
    "You're welcome! Anything else I can help with?",
    "שלום! אני בודקת את זה עבורך עכשיו.",
    "أهلاً! سأتحقق من ذلك فوراً.",
    "您好，我们已为您查询，包裹将于明天送达。",
];

pub(crate) const NOTE_LINES: &[&str] = &[
    "Duplicate charge confirmed in billing system.",
    "Customer is a VIP — escalate if not solved today.",
    "Checked with the warehouse: shipped yesterday.",
    "Known bug BUG-1042, linked to engineering ticket.",
    "הלקוח ביקש שנחזור אליו בטלפון.",
    "ملاحظة: العميل يفضل التواصل عبر واتساب.",
];

pub(crate) const SUBJECTS: &[&str] = &[
    "Invoice question - charged twice",
    "Where is my order?",
    "Change delivery address",
    "App crash on upload",
    "Refund request",
    "Login problem",
    "Annual plan discount",
    "שאלה לגבי חשבונית",
    "استفسار عن الطلب",
    "订单查询",
];

pub(crate) const ENUM_TIERS: &[&str] = &["Bronze", "Silver", "Gold", "Platinum"];
pub(crate) const ENUM_REGIONS: &[&str] = &["EMEA", "AMER", "APAC"];
pub(crate) const TAG_NAMES: &[&str] = &[
    "Billing", "Shipping", "Bug", "VIP", "Refund", "Feedback", "Urgent",
];
pub(crate) const TAG_COLORS: &[&str] = &[
    "#E5484D", "#30A46C", "#0091FF", "#F76B15", "#8E4EC6", "#FFC53D", "#12A594",
];
