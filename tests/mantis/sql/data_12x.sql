-- A small MantisBT 1.2.20 data set (after schema_12x.sql): one client project, a reporter and a
-- developer, a bug with a note (time tracked) and a file in the database. Category status 0, as
-- 1.2 wrote it (the column meant nothing there).
SET NAMES utf8;
SET time_zone = '+00:00';
INSERT INTO `mantis_project_table` (`id`, `name`, `status`, `enabled`, `view_state`, `access_min`, `file_path`, `description`, `category_id`, `inherit_global`) VALUES
(1, 'Fromagerie Lefèvre', 10, 1, 10, 10, '', '', 1, 1);
INSERT INTO `mantis_user_table` (`id`, `username`, `realname`, `email`, `password`, `enabled`, `protected`, `access_level`, `login_count`, `cookie_string`, `last_visit`, `date_created`) VALUES
(2, 'claire', 'Claire Lefèvre', 'claire@fromagerie-lefevre.fr', 'x', 1, 0, 25, 1, 'k2', UNIX_TIMESTAMP('2015-06-01 08:00:00'), UNIX_TIMESTAMP('2014-01-01 08:00:00')),
(3, 'tom', 'Tom Technicien', 'tom@atm-consulting.fr', 'x', 1, 0, 55, 1, 'k3', UNIX_TIMESTAMP('2015-06-01 08:00:00'), UNIX_TIMESTAMP('2014-01-01 08:00:00'));
INSERT INTO `mantis_project_user_list_table` (`project_id`, `user_id`, `access_level`) VALUES (1, 2, 25);
INSERT INTO `mantis_category_table` (`id`, `project_id`, `user_id`, `name`, `status`) VALUES (2, 1, 0, 'Étiquettes', 0);
INSERT INTO `mantis_bug_text_table` (`id`, `description`, `steps_to_reproduce`, `additional_information`) VALUES
(7, 'Les étiquettes sortent de travers.\r\nDepuis lundi.', '', '');
INSERT INTO `mantis_bug_table` (`id`, `project_id`, `reporter_id`, `handler_id`, `priority`, `severity`, `reproducibility`, `status`, `resolution`, `view_state`, `summary`, `category_id`, `bug_text_id`, `date_submitted`, `last_updated`) VALUES
(7, 1, 2, 3, 40, 60, 10, 50, 10, 10, 'Étiquettes de travers', 2, 7, UNIX_TIMESTAMP('2015-05-04 09:00:00'), UNIX_TIMESTAMP('2015-05-05 09:00:00'));
INSERT INTO `mantis_bugnote_text_table` (`id`, `note`) VALUES (70, 'Imprimante recalibrée.');
INSERT INTO `mantis_bugnote_table` (`id`, `bug_id`, `reporter_id`, `bugnote_text_id`, `view_state`, `note_type`, `note_attr`, `time_tracking`, `last_modified`, `date_submitted`) VALUES
(70, 7, 3, 70, 10, 2, '', 25, UNIX_TIMESTAMP('2015-05-05 09:00:00'), UNIX_TIMESTAMP('2015-05-05 09:00:00'));
INSERT INTO `mantis_bug_file_table` (`id`, `bug_id`, `title`, `description`, `diskfile`, `filename`, `folder`, `filesize`, `file_type`, `content`, `date_added`, `user_id`) VALUES
(1, 7, '', '', 'aa11bb22cc33dd44ee55ff6600112233', 'étiquette.png', '', 85, 'image/png', X'89504e470d0a1a0a0000000d4948445200000018000000100802000000834628c20000001c49444154789c633c2127c7400dc0441553460d1a3568d4a0116c1000eeae0124962e11580000000049454e44ae426082', UNIX_TIMESTAMP('2015-05-04 09:00:00'), 2);
