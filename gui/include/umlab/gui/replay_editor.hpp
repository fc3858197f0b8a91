#pragma once
/// The editor of one replay (`replays:`, docs/topology.md): a capture file that the segment's
/// switch plays into the segment when the lab starts. Its fields: the pcap path (relative to the
/// lab's file, with a browse button), speed (1 keeps the captured timing), loop count, and
/// whether unicast frames are rewritten to the segment's gateway (`rewrite-mac`).

#include "umlab/gui/lab_data.hpp"

#include <QWidget>

#include <functional>

class QLineEdit;

namespace umlab::gui {

class ValueCombo;

class ReplayEditor : public QWidget {
  Q_OBJECT
public:
  /// Asked for a capture file; returns its absolute path, or a null QString. The default opens
  /// a file dialog.
  using FileChooser = std::function<QString(const QString& current)>;

  explicit ReplayEditor(QWidget* parent = nullptr);

  void load(const LabData& lab, const ReplayData& replay);
  ReplayData replay() const;
  void setFileChooser(FileChooser chooser) { chooser_ = std::move(chooser); }
  /// Asks the chooser (or a file dialog) for a capture; the path as a lab whose relative paths
  /// start at `baseDir` writes it, or empty.
  std::string choosePcap(const std::string& baseDir, const QString& current);

public slots:
  /// Fills the pcap path from the chooser and applies it.
  void browse();

signals:
  void edited();

private:
  ReplayData loaded_;
  std::string baseDir_ = ".";
  bool loading_ = false;
  FileChooser chooser_;
  QLineEdit* pcap_ = nullptr;
  QLineEdit* speed_ = nullptr;
  QLineEdit* loop_ = nullptr;
  ValueCombo* rewriteMac_ = nullptr;
};

/// "ping.pcap ×2, 3 times", for lists.
std::string replayLabel(const ReplayData& replay);

} // namespace umlab::gui
