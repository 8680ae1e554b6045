// cid PATH...: the IPFS CIDs (docs/cids.md) of local files and of the model they would make,
// computed as a float would chunk them, without a vault or a network: anyone can check a CID
// someone shared against the bytes they have.
#include "command.h"

#include "chunking/filedag.h"
#include "transfer/floatjob.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QPointer>
#include <QThreadPool>

#include <openssl/crypto.h>

namespace mf::cli {

namespace {

class CidCommand final : public Command
{
public:
    using Command::Command;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("paths"),
                                QStringLiteral("Files or folders, as you would float them."),
                                QStringLiteral("PATH..."));
        addChunkerOptions(p);
        if (!parse(p, args, QStringLiteral("cid PATH... [--chunker cdc|fixed] [--chunk-size SIZE]"),
                   1, -1))
            return;
        // The chunking a float uses unless told otherwise; a vault configured otherwise
        // (`config chunker`) floats with its own, and then the same options must be given here.
        const auto chunker = chunkerFrom(p, ChunkerParams::defaults());
        if (!chunker)
            return finish(Usage);
        QString error;
        const auto files = FloatJob::collectFiles(p.positionalArguments(), &error);
        if (!files) {
            console().error(error);
            return finish(BadInput);
        }
        m_modelName = FloatJob::defaultModelName(p.positionalArguments());
        m_chunker = *chunker;
        // Reading and hashing every byte takes a while: off the event loop, so Ctrl-C is heard.
        QPointer<CidCommand> self(this);
        auto cancelled = m_cancelled;
        const ChunkerParams params = *chunker;
        const QList<FloatJob::SourceFile> list = *files;
        QThreadPool::globalInstance()->start([self, cancelled, params, list] {
            QList<unixfs::Node> nodes;
            QString failure;
            for (const FloatJob::SourceFile& f : list) {
                const auto node = fileDagOf(f.sourcePath, params, &failure, cancelled.get());
                if (!node)
                    break;
                nodes.append(*node);
            }
            // OpenSSL's per-thread state outlives the hashing in a pool thread that may still be
            // idle when the process exits; freed here, as every hashing pool task does.
            OPENSSL_thread_stop();
            QMetaObject::invokeMethod(
                qApp,
                [self, list, nodes, failure] {
                    if (self)
                        self->report(list, nodes, failure);
                },
                Qt::QueuedConnection);
        });
    }

    void interrupt() override { m_cancelled->store(true); } // report() then finishes

private:
    void report(const QList<FloatJob::SourceFile>& files, const QList<unixfs::Node>& nodes,
                const QString& failure)
    {
        if (m_cancelled->load())
            return finish(Interrupted);
        if (nodes.size() != files.size()) {
            console().error(failure);
            return finish(BadInput);
        }
        QList<QPair<QString, unixfs::Node>> entries;
        QJsonArray fileArray;
        for (qsizetype i = 0; i < files.size(); ++i) {
            const QString cid = unixfs::toText(nodes.at(i).cid);
            entries.append({files.at(i).pathInModel, nodes.at(i)});
            fileArray.append(QJsonObject{{QStringLiteral("path"), files.at(i).pathInModel},
                                         {QStringLiteral("size"), qint64(nodes.at(i).fileSize)},
                                         {QStringLiteral("cid"), cid}});
            console().print(QStringLiteral("%1  %2  %3")
                                .arg(cid, units::formatBytes(qint64(nodes.at(i).fileSize)),
                                     files.at(i).pathInModel));
        }
        QString error;
        const unixfs::Node model = unixfs::modelDag(entries, &error);
        if (!model.isValid()) {
            console().error(error);
            return finish(BadInput);
        }
        const QString modelCid = unixfs::toText(model.cid);
        console().print(QStringLiteral("%1  model “%2” (%3, chunker %4)")
                            .arg(modelCid, m_modelName,
                                 units::counted(files.size(), QStringLiteral("1 file"),
                                                QStringLiteral("%1 files")),
                                 m_chunker.toString()));
        console().printJson({{QStringLiteral("model"), m_modelName},
                             {QStringLiteral("cid"), modelCid},
                             {QStringLiteral("chunker"), m_chunker.toString()},
                             {QStringLiteral("files"), fileArray}});
        finish(Success);
    }

    std::shared_ptr<std::atomic_bool> m_cancelled = std::make_shared<std::atomic_bool>(false);
    QString m_modelName;
    ChunkerParams m_chunker;
};

} // namespace

Command* makeCidCommand(Context& ctx)
{
    return new CidCommand(ctx);
}

} // namespace mf::cli
