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
    void infoJsonListsEveryChunk();
    void globalOptionsBeforeTheCommand();

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
    // --name does not help: the file's path inside the model follows the path rule
    // (modelpath.h), which every vault's catalog holds manifests to.
    const CliResult named = floatAs(odd, QStringLiteral("line break"));
    QVERIFY2(named.code == 6, named.describe());
    QVERIFY2(named.errText().contains(QStringLiteral("line\\u{000a}break.bin")), named.describe());
    QCOMPARE(named.err.count('\n'), 1);
    QCOMPARE(listNames().size(), 4);

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

void TestCliViews::infoJsonListsEveryChunk()
{
    // Two providers, two copies of every chunk; a folder of two files, one of them tiny.
    const QString second = m_box->path(QStringLiteral("second"));
    QVERIFY(m_box
                ->run(words({QStringLiteral("provider"), QStringLiteral("add"),
                             QStringLiteral("local"), QStringLiteral("second"), second}))
                .code == 0);
    const QString folder = m_box->path(QStringLiteral("input/pair"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(test::writePseudoRandomFile(folder + QStringLiteral("/big.bin"), 1200 * 1024 + 9, 5));
    QVERIFY(test::writeFile(folder + QStringLiteral("/small.txt"), "tiny"));
    const CliResult fl = m_box->run(
        words({QStringLiteral("float"), folder, QStringLiteral("--replicas"), QStringLiteral("2"),
               QStringLiteral("--chunk-size"), QStringLiteral("256K"), QStringLiteral("--quiet")}));
    QVERIFY2(fl.code == 0, fl.describe());
    // Every copy is checked (verify sets the time), then one object is damaged and found so.
    QVERIFY(m_box->run(words({QStringLiteral("verify"), QStringLiteral("pair")})).code == 0);
    const QStringList objects = test::CliSandbox::filesBelow(second);
    QVERIFY(!objects.isEmpty());
    {
        QFile f(second + QLatin1Char('/') + objects.first());
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.write("X") == 1);
    }
    QCOMPARE(m_box->run(words({QStringLiteral("verify"), QStringLiteral("pair")})).code, 4);

    const CliResult info = m_box->run(
        words({QStringLiteral("info"), QStringLiteral("pair"), QStringLiteral("--json")}));
    QVERIFY2(info.code == 0, info.describe());
    const QJsonArray files = info.json().value(QStringLiteral("files")).toArray();
    QCOMPARE(files.size(), 2);
    QString sqlOut;
    QVERIFY(sqlite(m_box->vault(),
                   QStringLiteral("SELECT f.path, fc.idx, fc.offset, c.size, fc.cid, pr.name, "
                                  "p.locator, p.state FROM file_chunks fc JOIN files f ON f.id = "
                                  "fc.file_id JOIN chunks c ON c.cid = fc.cid JOIN placements p "
                                  "ON p.cid = fc.cid JOIN providers pr ON pr.id = p.provider_id "
                                  "ORDER BY f.path, fc.idx, pr.name"),
                   &sqlOut));
    // The same rows, rebuilt from the JSON: every chunk in order, tiling its file, with every
    // copy; checked against what SQLite itself says the registry holds.
    QStringList fromJson;
    for (const QJsonValue& fv : files) {
        const QJsonObject f = fv.toObject();
        const QJsonArray manifest = f.value(QStringLiteral("manifest")).toArray();
        QCOMPARE(manifest.size(), f.value(QStringLiteral("chunks")).toInt());
        qint64 offset = 0;
        for (int i = 0; i < manifest.size(); ++i) {
            const QJsonObject c = manifest.at(i).toObject();
            QCOMPARE(c.value(QStringLiteral("index")).toInt(), i);
            QCOMPARE(c.value(QStringLiteral("offset")).toInteger(), offset);
            offset += c.value(QStringLiteral("size")).toInteger();
            QVERIFY(
                c.value(QStringLiteral("cid")).toString().startsWith(QStringLiteral("bafkrei")));
            const QJsonArray copies = c.value(QStringLiteral("placements")).toArray();
            QCOMPARE(copies.size(), 2);
            QStringList rows;
            for (const QJsonValue& pv : copies) {
                const QJsonObject p = pv.toObject();
                QVERIFY(p.value(QStringLiteral("verified_at")).isString());
                QVERIFY(QDateTime::fromString(p.value(QStringLiteral("verified_at")).toString(),
                                              Qt::ISODate)
                            .isValid());
                rows << QStringList{f.value(QStringLiteral("path")).toString(),
                                    QString::number(i),
                                    QString::number(c.value(QStringLiteral("offset")).toInteger()),
                                    QString::number(c.value(QStringLiteral("size")).toInteger()),
                                    c.value(QStringLiteral("cid")).toString(),
                                    p.value(QStringLiteral("provider")).toString(),
                                    p.value(QStringLiteral("locator")).toString(),
                                    p.value(QStringLiteral("state")).toString()}
                            .join(QLatin1Char('|'));
            }
            rows.sort();
            fromJson << rows;
        }
        QCOMPARE(offset, f.value(QStringLiteral("size")).toInteger());
    }
    QCOMPARE(fromJson, sqlOut.trimmed().split(QLatin1Char('\n')));
    QVERIFY(fromJson.size() >= 2 * 4);
    QCOMPARE(fromJson.filter(QStringLiteral("|corrupt")).size(), 1);
}

void TestCliViews::globalOptionsBeforeTheCommand()
{
    const QString file = writeInput(QStringLiteral("w.bin"), 300 * 1024, 4);
    QVERIFY(!file.isEmpty());
    const QString other = m_box->path(QStringLiteral("other-vault"));
    QVERIFY(m_box->run(words({QStringLiteral("init"), QStringLiteral("--vault"), other})).code ==
            0);
    // Before the command, after it, mixed, in the --vault=DIR form: all mean the same.
    QVERIFY2(m_box->run(words({QStringLiteral("--vault"), other, QStringLiteral("--quiet"),
                               QStringLiteral("float"), file}))
                     .code == 0,
             "float");
    for (const QStringList& args : {words({QStringLiteral("--vault"), other,
                                           QStringLiteral("--json"), QStringLiteral("list")}),
                                    words({QStringLiteral("--json"), QStringLiteral("list"),
                                           QStringLiteral("--vault"), other}),
                                    words({QStringLiteral("--vault=") + other,
                                           QStringLiteral("list"), QStringLiteral("--json")}),
                                    words({QStringLiteral("list"), QStringLiteral("--vault"), other,
                                           QStringLiteral("--json")})}) {
        const CliResult r = m_box->run(args);
        const QByteArray what = args.join(QLatin1Char(' ')).toUtf8() + "\n" + r.describe();
        QVERIFY2(r.code == 0, what.constData());
        QVERIFY2(r.isJson(), what.constData());
        QCOMPARE(r.json().value(QStringLiteral("models")).toArray().size(), 1);
    }
    // The default vault (the sandbox's) is still empty: --vault went where it was put.
    const CliResult mine = m_box->run(words({QStringLiteral("--json"), QStringLiteral("list")}));
    QCOMPARE(mine.json().value(QStringLiteral("models")).toArray().size(), 0);
    // A command's own options still come after it; a dangling --vault is an error.
    const CliResult provider =
        m_box->run(words({QStringLiteral("--vault"), other, QStringLiteral("provider"),
                          QStringLiteral("list"), QStringLiteral("--json")}));
    QVERIFY2(provider.code == 0 && provider.isJson(), provider.describe());
    QCOMPARE(m_box->run(words({QStringLiteral("--vault")})).code, Usage);
    QCOMPARE(m_box->run(words({QStringLiteral("--json")})).code, Usage);
    const CliResult help = m_box->run(words({QStringLiteral("--json"), QStringLiteral("--help")}));
    QCOMPARE(help.code, 0);
    QVERIFY(help.out.contains("before or after"));
}

QTEST_GUILESS_MAIN(TestCliViews)
#include "tst_cli_views.moc"
