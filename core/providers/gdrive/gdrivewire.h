#pragma once

// What the files implementing GDriveProvider share (gdriveprovider.cpp, gdriveupload.cpp): the
// fields asked of a file, the shape of a file id, a JSON request body.

#include <QBuffer>
#include <QRegularExpression>
#include <QString>

#include <memory>

namespace mf::gdrive {

inline const QString FileFields = QStringLiteral("id,size,sha256Checksum,md5Checksum");

// Drive file ids are URL-safe base64-like words; anything else is not one of ours.
inline bool isFileId(const QString& locator)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_-]{1,200}$"));
    return re.match(locator).hasMatch();
}

inline std::unique_ptr<QIODevice> jsonBody(const QByteArray& json)
{
    auto b = std::make_unique<QBuffer>();
    b->setData(json);
    b->open(QIODevice::ReadOnly);
    return b;
}

} // namespace mf::gdrive
