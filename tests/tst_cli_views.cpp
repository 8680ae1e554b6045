// What the command line shows and accepts about models: names are checked by the one naming rule
// (a newline or an invisible character never gets in, from --name or from a file's name), `list`
// keeps its columns whatever the names, `stats` counts as dedup savings only what complete data
// saves, `info --json` gives every chunk of every file with its placements, and the options every
// command takes work before the command as well as after it.

#include "clisandbox.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <memory>

using namespace mf;
using test::CliResult;

namespace {

QStringList words(std::initializer_list<QString> parts)
{
    return QStringList(parts);
}

constexpr int Usage = 2;

// Runs sqlite3 on the vault's registry (a tool that shares no code with ModelFloat).
bool sqlite(const QString& vault, const QString& sql, QString* output = nullptr)
{
    return test::runProcess(QStringLiteral("sqlite3"),
                            {vault + QStringLiteral("/registry.sqlite"), sql}, output);
}

} // namespace

class TestCliViews : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void namesFollowTheOneRule();
    void listKeepsItsColumns();

private:
    QString writeInput(const QString& name, qint64 size, quint64 seed);
    CliResult floatAs(const QString& file, const QString& name);
    QStringList listNames();

    std::unique_ptr<test::CliSandbox> m_box;
};

void TestCliViews::init()
{
    m_box = std::make_unique<test::CliSandbox>();
    QVERIFY(m_box->ok());
}

void TestCliViews::cleanup()
{
    m_box.reset();
}

QString TestCliViews::writeInput(const QString& name, qint64 size, quint64 seed)
{
    const QString file = m_box->path(QStringLiteral("input/") + name);
    return test::writePseudoRandomFile(file, size, seed) ? file : QString();
}

CliResult TestCliViews::floatAs(const QString& file, const QString& name)
{
    QStringList args = words({QStringLiteral("float"), file, QStringLiteral("--quiet"),
                              QStringLiteral("--chunk-size"), QStringLiteral("256K")});
    if (!name.isNull())
        args << QStringLiteral("--name") << name;
    return m_box->run(args);
}

QStringList TestCliViews::listNames()
{
    QStringList names;
    const CliResult list = m_box->run(words({QStringLiteral("list"), QStringLiteral("--json")}));
    for (const QJsonValue& m : list.json().value(QStringLiteral("models")).toArray())
        names << m.toObject().value(QStringLiteral("name")).toString();
    return names;
}

void TestCliViews::namesFollowTheOneRule()
{
    const QString file = writeInput(QStringLiteral("w.bin"), 300 * 1024, 1);
    QVERIFY(!file.isEmpty());
    struct Bad
    {
        QString name;
        QString says;
    };
    const QList<Bad> bad{
        {QStringLiteral("two\nlines"), QStringLiteral("control character (U+000A)")},
        {QStringLiteral("tab\there"), QStringLiteral("control character (U+0009)")},
        {QStringLiteral("bell\x07"), QStringLiteral("control character (U+0007)")},
        {QStringLiteral("del\x7f"), QStringLiteral("control character (U+007F)")},
        {QStringLiteral("c1") + QChar(0x85), QStringLiteral("control character (U+0085)")},
        {QStringLiteral("sep\u2028x"), QStringLiteral("line break (U+2028)")},
        {QStringLiteral("evil\u202Efdog.exe"), QStringLiteral("invisible formatting character")},
        {QStringLiteral("zero\u200Bwidth"), QStringLiteral("invisible formatting character")},
        {QStringLiteral(" padded"), QStringLiteral("begins or ends with a space")},
        {QStringLiteral("padded "), QStringLiteral("begins or ends with a space")},
        {QString(201, QLatin1Char('n')), QStringLiteral("too long")},
    };
    for (const Bad& b : bad) {
        const CliResult r = floatAs(file, b.name);
        const QByteArray what = b.name.toUtf8() + "\n" + r.describe();
        QVERIFY2(r.code == Usage, what.constData());
        QVERIFY2(r.errText().contains(b.says), what.constData());
        // The message itself prints as one line.
        QCOMPARE(r.err.count('\n'), 1);
    }
    QCOMPARE(listNames(), QStringList());
    // Names that are fine: Unicode letters, a Hub-style "org/name", the longest allowed.
    for (const QString& good :
         {QStringLiteral("Qwen2.5 → 7B · Q4_K_M"), QStringLiteral("org/model"),
          QStringLiteral("模型-测试"), QString(200, QLatin1Char('g'))}) {
        const CliResult r = floatAs(file, good);
        QVERIFY2(r.code == 0, r.describe());
    }
    QCOMPARE(listNames().size(), 4);

    // A name made from a file's name follows the same rule, and says how to give another.
    const QString odd = writeInput(QStringLiteral("line\nbreak.bin"), 1000, 2);
    QVERIFY(!odd.isEmpty());
    const CliResult derived = floatAs(odd, QString());
    QVERIFY2(derived.code == Usage, derived.describe());
    QVERIFY2(derived.errText().contains(QStringLiteral("--name")), derived.describe());
    QCOMPARE(derived.err.count('\n'), 1);
    QCOMPARE(listNames().size(), 4);
    QVERIFY2(floatAs(odd, QStringLiteral("line break")).code == 0, "float with --name");

    // import checks --name before it looks for the Hub.
    const CliResult import =
        m_box->run(words({QStringLiteral("import"), QStringLiteral("org/repo"),
                          QStringLiteral("--name"), QStringLiteral("a\nb"),
                          QStringLiteral("--endpoint"), QStringLiteral("http://127.0.0.1:9")}));
    QVERIFY2(import.code == Usage, import.describe());
    QVERIFY2(import.errText().contains(QStringLiteral("U+000A")), import.describe());
}

void TestCliViews::listKeepsItsColumns()
{
    const QString file = writeInput(QStringLiteral("w.bin"), 300 * 1024, 3);
    QVERIFY(!file.isEmpty());
    const QString longName = QStringLiteral("Meta-Llama-3.1-405B-Instruct-abliterated-uncensored-"
                                            "experimental-merge-v2-GGUF-imatrix-Q4_K_M");
    const QStringList names{QStringLiteral("a"), longName, QStringLiteral("模型-测试"),
                            QStringLiteral("mid-size-model-name")};
    for (const QString& n : names)
        QVERIFY2(floatAs(file, n).code == 0, qPrintable(n));
    // A name that got in before names were checked (an older vault) is shown escaped.
    QVERIFY(sqlite(m_box->vault(),
                   QStringLiteral("UPDATE models SET name = 'old' || char(10) || 'name' WHERE "
                                  "name = 'mid-size-model-name'")));

    const CliResult list = m_box->run(words({QStringLiteral("list")}));
    QVERIFY2(list.code == 0, list.describe());
    const QStringList lines = list.outText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), names.size() + 1); // one line per model, and the header
    // Every column starts where its header does (a CJK character takes two columns: the test
    // compares what a terminal shows, so it counts them as the table does).
    const auto columnOf = [](const QString& line, const QString& cell) {
        return int(line.indexOf(cell));
    };
    const QString header = lines.first();
    const int sizeColumn = columnOf(header, QStringLiteral("SIZE"));
    const int healthColumn = columnOf(header, QStringLiteral("HEALTH"));
    QVERIFY(sizeColumn > 0 && healthColumn > sizeColumn);
    for (const QString& line : lines.mid(1)) {
        const int wide =
            int(line.count(QRegularExpression(QStringLiteral("[\\x{4e00}-\\x{9fff}]"))));
        QVERIFY2(columnOf(line, QStringLiteral("300.0 KiB")) + wide == sizeColumn,
                 qPrintable(line));
        QVERIFY2(columnOf(line, QStringLiteral("healthy")) + wide == healthColumn,
                 qPrintable(line));
    }
    // The long name is shortened in the middle, keeping both ends; the odd one is escaped.
    QVERIFY2(list.outText().contains(QStringLiteral("Meta-Llama-3.1-405B")), list.describe());
    QVERIFY2(list.outText().contains(QStringLiteral("imatrix-Q4_K_M")), list.describe());
    QVERIFY2(list.outText().contains(QStringLiteral("…")), list.describe());
    QVERIFY2(list.outText().contains(QStringLiteral("old\\u{000a}name")), list.describe());
    // --json has every name whole.
    QStringList json = listNames();
    json.sort();
    QStringList expected{QStringLiteral("a"), longName, QStringLiteral("模型-测试"),
                         QStringLiteral("old\nname")};
    expected.sort();
    QCOMPARE(json, expected);
}

QTEST_GUILESS_MAIN(TestCliViews)
#include "tst_cli_views.moc"
