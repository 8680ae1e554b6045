// The Hub's model search (HubSearchJob) against the local hub server, whose answers the real
// @huggingface/hub client's listModels reads the same way: models by name, most downloaded
// first, with likes and the GGUF quantizations on offer; offline mode and an unreachable Hub
// say "Offline" at once; a hostile answer is refused or its bad entries skipped.

#include "hubpeer.h"
#include "testsupport.h"

#include "hub/hubclient.h"
#include "hub/hubsearch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace mf;
using namespace mf::test;

class TestHubSearch final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    HubPeer m_hub;

    // Runs a search to its end.
    static bool search(HubSearchJob& job)
    {
        QSignalSpy done(&job, &HubSearchJob::finished);
        job.start();
        return !done.isEmpty() || done.wait(60000);
    }

    QString folder(const QString& name, const QStringList& files)
    {
        const QString dir = m_dir.filePath(name);
        QDir().mkpath(dir);
        for (const QString& f : files)
            if (!writeFile(dir + QLatin1Char('/') + f, f.toUtf8()))
                return {};
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString ggufs =
            folder(QStringLiteral("ggufs"),
                   {QStringLiteral("llama-2-7b.Q4_K_M.gguf"),
                    QStringLiteral("llama-2-7b.Q8_0.gguf"), QStringLiteral("README.md")});
        const QString weights =
            folder(QStringLiteral("weights"),
                   {QStringLiteral("model.safetensors"), QStringLiteral("config.json")});
        const QString mistral =
            folder(QStringLiteral("mistral"), {QStringLiteral("mistral-7b.IQ3_XXS.gguf")});
        HubPeer::Repo a{QStringLiteral("TheBloke/Llama-2-7B-GGUF"), ggufs};
        a.downloads = 1200;
        a.likes = 40;
        HubPeer::Repo b{QStringLiteral("meta-llama/Llama-2-7b-hf"), weights, true};
        b.downloads = 90000;
        b.likes = 2100;
        HubPeer::Repo c{QStringLiteral("mistralai/Mistral-7B-GGUF"), mistral};
        c.downloads = 500000;
        HubPeer::Repo hidden{QStringLiteral("me/llama-private"), weights, false, true};
        hidden.downloads = 999999;
        QVERIFY2(m_hub.start({a, b, c, hidden}), qPrintable(m_hub.errorString()));
    }

    void findsModelsMostDownloadedFirst()
    {
        QNetworkAccessManager network;
        HubSettings settings;
        settings.endpoint = m_hub.endpoint();
        HubClient client(&network, settings);
        HubSearchJob job(&client, QStringLiteral("LLAMA"));
        QVERIFY(search(job));
        QVERIFY2(job.error().ok(), qPrintable(job.error().message));
        const QList<HubSearchResult>& r = job.results();
        QCOMPARE(r.size(), 2); // the private one is not seen without a token
        QCOMPARE(r.at(0).id, QStringLiteral("meta-llama/Llama-2-7b-hf"));
        QCOMPARE(r.at(0).downloads, 90000);
        QCOMPARE(r.at(0).likes, 2100);
        QVERIFY(r.at(0).gated);
        QVERIFY(r.at(0).safetensors);
        QVERIFY(r.at(0).quantizations.isEmpty());
        QCOMPARE(r.at(1).id, QStringLiteral("TheBloke/Llama-2-7B-GGUF"));
        QCOMPARE(r.at(1).downloads, 1200);
        QCOMPARE(r.at(1).quantizations,
                 (QStringList{QStringLiteral("Q4_K_M"), QStringLiteral("Q8_0")}));
        QVERIFY(!r.at(1).gated);
    }

    // The real client reads the server's answer as ModelFloat does: the same models, in the
    // same order, with the same counts.
    void realClientSeesTheSameModels()
    {
        QString output;
        QVERIFY2(runProcess(QStringLiteral("node"),
                            {QString(mf::test::testsSourceDir() +
                                     QStringLiteral("/peers/hub-search-check.mjs")),
                             m_hub.endpoint(), QStringLiteral("llama")},
                            &output),
                 qPrintable(output));
        const QJsonArray found = QJsonDocument::fromJson(output.trimmed().toUtf8()).array();
        QCOMPARE(found.size(), 2);
        QCOMPARE(found.at(0)[QLatin1String("name")].toString(),
                 QStringLiteral("meta-llama/Llama-2-7b-hf"));
        QCOMPARE(found.at(0)[QLatin1String("downloads")].toInt(), 90000);
        QCOMPARE(found.at(1)[QLatin1String("name")].toString(),
                 QStringLiteral("TheBloke/Llama-2-7B-GGUF"));
        QVERIFY(found.at(1)[QLatin1String("filePaths")].toArray().contains(
            QStringLiteral("llama-2-7b.Q8_0.gguf")));
    }

    void offlineModeSendsNothing()
    {
        QNetworkAccessManager network;
        HubSettings settings;
        settings.endpoint = m_hub.endpoint();
        settings.offline = true;
        HubClient client(&network, settings);
        m_hub.reset();
        HubSearchJob job(&client, QStringLiteral("llama"));
        QVERIFY(search(job));
        QVERIFY2(job.error().message.startsWith(QStringLiteral("Offline")),
                 qPrintable(job.error().message));
        QCOMPARE(m_hub.requests(QStringLiteral("api")), 0);
    }

    void unreachableHubSaysOffline()
    {
        quint16 port = 0;
        {
            QTcpServer probe; // free a moment ago: nothing listens there now
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            port = probe.serverPort();
        }
        QNetworkAccessManager network;
        HubSettings settings;
        settings.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(port);
        HubClient client(&network, settings);
        HubSearchJob job(&client, QStringLiteral("llama"));
        QVERIFY(search(job));
        QVERIFY2(job.error().message.startsWith(QStringLiteral("Offline")),
                 qPrintable(job.error().message));
    }

    void hostileAnswersAreRefusedOrSkipped()
    {
        QList<HubSearchResult> r;
        QString why;
        QVERIFY(!hubsearch::parseResults("{\"id\":\"a/b\"}", &r, &why));
        QVERIFY(!why.isEmpty());
        QVERIFY(!hubsearch::parseResults("not json", &r, &why));
        // More than a search asks for is not the Hub's answer.
        QJsonArray many;
        for (int i = 0; i < hubsearch::MaxResults + 1; ++i)
            many.append(QJsonObject{{QStringLiteral("id"), QStringLiteral("o/m%1").arg(i)}});
        QVERIFY(!hubsearch::parseResults(QJsonDocument(many).toJson(), &r, &why));
        QVERIFY2(why.contains(QStringLiteral("at most")), qPrintable(why));
        // Entries that are no repo id are skipped; negative counts are not believed.
        const QByteArray mixed = R"([
            {"id": "../../etc"}, {"id": "a/b@main"}, 7, {"id": "org/ok", "downloads": -5,
             "siblings": [{"rfilename": "x.Q5_K_S.gguf"}, {"rfilename": 3}]}])";
        QVERIFY2(hubsearch::parseResults(mixed, &r, &why), qPrintable(why));
        QStringList ids;
        for (const HubSearchResult& x : r)
            ids.append(x.id);
        QCOMPARE(ids, QStringList{QStringLiteral("org/ok")});
        QCOMPARE(r.first().downloads, 0);
        QCOMPARE(r.first().quantizations, QStringList{QStringLiteral("Q5_K_S")});
    }
};

QTEST_GUILESS_MAIN(TestHubSearch)
#include "tst_hubsearch.moc"
